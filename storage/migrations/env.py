"""Alembic environment: runs against the engine smsdesk hands over (or DATABASE_URL)."""

import os

from alembic import context
from sqlalchemy import create_engine

from storage.db import DEFAULT_URL, normalise_url
from storage.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = create_engine(normalise_url(os.environ.get("DATABASE_URL", DEFAULT_URL)))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
