"""Reports stay fast on a year of data: each of their statements finds its rows through an
index (the database's own plan says so), never by reading a whole table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.desk.reports.build import KINDS
from storage import report_queries as q
from storage.models import Interaction

pytestmark = pytest.mark.postgres

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
PAGE = q.opened_statement("T1", START, END, None).with_only_columns(Interaction.id)
STATEMENTS = {
    "interactions opened": (q.opened_statement("T1", START, END, None),
                            "interactions", "ix_interactions_team_created"),
    "interactions opened in a queue": (q.opened_statement("T1", START, END, "Billing"),
                                       "interactions", "ix_interactions_team_created"),
    "texts": (q.texts_statement("T1", START, END, None), "messages",
              "ix_messages_team_created"),
    "a page's texts": (q.texts_of_statement("T1", PAGE), "messages",
                       "ix_messages_interaction"),
    "a page's events": (q.events_of_statement("T1", PAGE, KINDS), "timeline_events",
                        "ix_timeline_interaction"),
    "a page's declined offers": (q.declines_of_statement("T1", PAGE, KINDS), "offers",
                                 "ix_offers_interaction"),
}


def _plan(db, statement) -> str:
    """The plan as the database words it, for the statement as the report runs it (its
    parameters bound the way the report binds them)."""
    engine = db.engine
    compiled = statement.compile(dialect=engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if not sqlite:
            # On an empty table a sequential scan is cheapest: forbid it, and see whether an
            # index serves the statement at all (what a year of rows makes the planner pick).
            connection.exec_driver_sql("SET enable_seqscan = off")
        params = compiled.construct_params()
        processors = compiled._bind_processors
        bound = {name: processors[name](value) if name in processors else value
                 for name, value in params.items()}
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        if sqlite:
            values = tuple(bound[name] for name in compiled.positiontup or ())
            rows = connection.exec_driver_sql(explain + str(compiled), values).all()
        else:
            # psycopg's own placeholders, as the compiled statement has them.
            rows = connection.exec_driver_sql(explain + str(compiled), bound).all()
    return "\n".join(" ".join(str(cell) for cell in row) for row in rows)


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_each_report_statement_reads_through_its_index(db, name):
    statement, table, index = STATEMENTS[name]
    plan = _plan(db, statement)
    assert index in plan, plan
    if db.engine.dialect.name == "sqlite":
        assert f"SCAN {table}\n" not in plan + "\n" and not plan.endswith(f"SCAN {table}")
    else:
        assert f"Seq Scan on {table}" not in plan
