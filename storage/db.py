"""Engine, transactions and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from sqlite3 import Connection as SQLiteConnection
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///smsdesk.sqlite3"
# Query parameters of a database URL that never carry a secret. Any other one (password,
# sslpassword, a driver's token...) is shown as ***: a list of the secret ones would miss
# the next driver's.
PLAIN_QUERY_KEYS = frozenset({
    "application_name", "channel_binding", "check_same_thread", "client_encoding",
    "connect_timeout", "gssencmode", "host", "hostaddr", "keepalives", "mode", "port",
    "sslmode", "target_session_attrs", "timeout", "uri",
})
MASK = "***"


def masked_url(url: str) -> str:
    """A database URL fit to print: its password, and every query value that may be a
    secret, replaced by ***."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # noqa: BLE001 - unparseable: nothing before @, no query values
        where, _, query = url.split("@")[-1].partition("?")
        return where + (f"?{MASK}" if query else "")
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = []
    for key in sorted(parsed.query):
        values = parsed.query[key]
        for value in (values,) if isinstance(values, str) else values:
            value = value if key.lower() in PLAIN_QUERY_KEYS else MASK
            pairs.append(f"{quote(key, safe='')}={quote(value, safe='*')}")
    return shown + ("?" + "&".join(pairs) if pairs else "")


def shown_url(url: str) -> str:
    """masked_url, and for a SQLite file the absolute path it resolves to from here: a
    relative path names a different database in every directory a command is run from."""
    shown = masked_url(url)
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # noqa: BLE001 - masked_url already showed what can be shown
        return shown
    if parsed.get_backend_name() == "sqlite" and parsed.database and \
            parsed.database != ":memory:" and not Path(parsed.database).is_absolute():
        return f"{shown} ({Path(parsed.database).resolve()})"
    return shown


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None: not SQLite, or in memory)."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: no file either
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or \
            parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def normalise_url(url: str) -> str:
    """Accept the URLs admins paste (postgres://, postgresql://) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: SQLiteConnection, _record: object) -> None:
            # pysqlite's own BEGIN is deferred: two writers that both read first then
            # deadlock-fail on upgrade. BEGIN IMMEDIATE (below) takes the write lock up
            # front, so concurrent use cases queue on busy_timeout instead of failing.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def insert_of(s: Session, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT in the session's own dialect, so it can say ON CONFLICT DO NOTHING."""
    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed. Session.execute is typed to return a plain
    Result; for those statements it is a CursorResult, which carries the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


NOTED = "noted"  # Session.info key: what the transaction noted for after its commit


def note(session: Session, value: Any) -> None:
    """Hand `value` to the Database's `on_noted_committed` listeners once this transaction
    commits (a measurement, say: bot/desk/timings.py)."""
    session.info.setdefault(NOTED, []).append(value)


class Database:
    """One per process. `transaction()` is the unit of work: one commit per use case."""

    def __init__(self, url: str = DEFAULT_URL):
        self.url = normalise_url(url)
        self.engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []
        self._noted_listeners: list[Callable[[list[Any]], None]] = []
        self._lock = threading.Lock()
        # SQLite's busy handler sleeps and retries with no queue, so under a burst one
        # thread can lose the write lock for a second or more. Inside one process a plain
        # lock hands it over at once; BEGIN IMMEDIATE still guards against other processes.
        self._sqlite_writer = threading.RLock() if self.is_sqlite else None
        event.listen(self._sessions, "after_commit", self._after_commit)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def on_jobs_committed(self, callback: Callable[[], None]) -> None:
        """Run `callback` after any commit that wrote outbox jobs (wakes the worker)."""
        with self._lock:
            self._commit_listeners.append(callback)

    def on_noted_committed(self, callback: Callable[[list[Any]], None]) -> None:
        """Run `callback` with what a transaction noted (`note`) once it committed: a use
        case that rolled back did not happen, so nobody hears of it (its session, and what
        it noted, are dropped with it)."""
        with self._lock:
            self._noted_listeners.append(callback)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("jobs_added", False):
            for callback in list(self._commit_listeners):
                callback()
        noted = session.info.pop(NOTED, None)
        if noted:
            for listener in list(self._noted_listeners):
                listener(noted)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        if self._sqlite_writer is None:
            with self._sessions.begin() as session:
                yield session
            return
        with self._sqlite_writer, self._sessions.begin() as session:
            yield session

    def upgrade(self) -> None:
        upgrade_schema(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


MIGRATIONS = Path(__file__).parent / "migrations"

if TYPE_CHECKING:  # alembic is imported where it is used: most commands never migrate
    from alembic.config import Config


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's Alembic revision, None when never migrated; the code's head)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # only if storage/migrations/versions lost its files
        raise RuntimeError(f"no migration found in {MIGRATIONS}")
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
