"""One SQLAlchemy engine on a ``DATABASE_URL``, the same way for every service that keeps data
(inventory's stock and reservations, the gateway's orders, checkouts and report jobs).

SQLite (the default) is a single file shared by every pooled connection. It runs in WAL mode so
readers never wait for the writer, with a busy timeout so concurrent writers queue instead of failing.
Transactions that write start with ``BEGIN IMMEDIATE`` (see :func:`write_transaction`): a deferred
transaction that reads first and then tries to write can fail at once with "database is locked"
when another writer got in between, and the busy timeout cannot help with that. ``synchronous=NORMAL``
in WAL mode keeps every committed transaction across a crash of the process (SIGKILL included); only
a power cut may lose the last ones.

PostgreSQL is used when the URL says ``postgresql://``; the installed driver is psycopg 3.

What the tracers see: one span per statement, named for the database (``SELECT inventory``), never for
a file. A SQLite engine's URL therefore carries the database's *name* (the file's stem) and connects to
the file through ``creator``; the tracers read the name from the URL (``db.namespace``). The
``BEGIN`` that opens a SQLite transaction goes straight to the driver, so it is no statement span.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option that marks a connection whose transaction will write (SQLite: BEGIN IMMEDIATE).
_WRITES = "hello_dd_writes"
# How often a write that lost a unique-key race to a concurrent writer is tried again.
CONFLICT_ATTEMPTS = 3

T = TypeVar("T")


def normalise_url(database_url: str) -> URL:
    """Points ``postgresql://`` (and Heroku-style ``postgres://``) URLs at psycopg 3, the installed
    driver, so operators can use the plain URL every other tool understands."""
    url = make_url(database_url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def backend_name(database_url: str) -> str:
    return normalise_url(database_url).get_backend_name()


def create_db_engine(database_url: str) -> Engine:
    url = normalise_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {backend}")


def _sqlite_engine(url: URL) -> Engine:
    if url.database in (None, "", ":memory:"):
        # Every pooled connection would open its own empty in-memory database.
        raise ValueError("DATABASE_URL must name a SQLite file; in-memory SQLite is not supported")
    path = Path(url.database)
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        # As SQLAlchemy's pysqlite dialect would for a file: pooled connections move between threads.
        return sqlite3.connect(path, check_same_thread=False)

    # The name, not the path, is what the tracers report (db.namespace and the span name).
    engine = create_engine(url.set(database=path.stem), creator=connect)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, decides when transactions begin (see _begin_sqlite_transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # In WAL mode NORMAL is still safe against application crashes and much faster than FULL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        # The hot read path (see inventory's StockRepository.read): each statement is its own snapshot
        # of the latest commit. A BEGIN here would pin one snapshot for the connection's whole life.
        return
    # Straight to the driver: a transaction's start is no statement of its own in a trace.
    driver: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
    driver.execute("BEGIN IMMEDIATE" if options.get(_WRITES, False) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed on success, rolled back on any exception."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITES: True})
        with conn.begin():
            yield conn


def write_retrying_conflicts(engine: Engine, work: Callable[[Connection], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """``work(conn)`` in a :func:`write_transaction`, run again in a new one when a concurrent writer
    got a unique key in first (``IntegrityError``): the next run sees that writer's row. The last
    attempt's conflict is raised."""
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                return work(conn)
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def inline_reads(engine: Engine) -> bool:
    """Whether short reads may run on the event loop's thread: yes for SQLite (an embedded library
    reading a local file; in WAL mode a reader never waits for a writer), no for a database server,
    whose answers come over the network and would stall the loop."""
    return engine.dialect.name == "sqlite"


def autocommit_connection(engine: Engine) -> Connection:
    """A connection on which every statement commits (or, for a SELECT, reads the latest commit) by
    itself: no transaction stays open between statements, so it can be held for a process's life."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


# The two backends create_db_engine accepts, each with its own INSERT ... ON CONFLICT.
_INSERT_BY_DIALECT: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert_insert(engine: Engine | Connection, table: Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the engine's dialect."""
    return _INSERT_BY_DIALECT[engine.dialect.name](table)
