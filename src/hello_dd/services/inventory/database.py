"""The inventory database: the tables, their migrations (``migrations/``, Alembic), and the seed. The engine
(SQLite file by default, PostgreSQL with a ``postgresql://`` URL) is the services' common one:
:mod:`hello_dd.services.common.database`."""

from __future__ import annotations

import logging

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
)

from hello_dd.services.catalog import CATALOGUE
from hello_dd.services.common.database import (
    autocommit_connection,
    backend_name,
    create_db_engine,
    inline_reads,
    normalise_url,
    upsert_insert,
    write_transaction,
)
from hello_dd.services.common.migrations import migrate

__all__ = [
    "autocommit_connection",
    "backend_name",
    "create_db_engine",
    "create_schema",
    "inline_reads",
    "normalise_url",
    "products",
    "reservation_lines",
    "reservations",
    "seed_catalogue",
    "write_transaction",
]

log = logging.getLogger(__name__)

metadata = MetaData()

_STATUS_CHECK = "status IN ('held', 'confirmed', 'released')"

products = Table(
    "products",
    metadata,
    Column("product_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("warehouse", String(64), nullable=False),
    Column("available", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False, default=0),
    CheckConstraint("available >= 0", name="ck_products_available_not_negative"),
    CheckConstraint("reserved >= 0", name="ck_products_reserved_not_negative"),
)

reservations = Table(
    "reservations",
    metadata,
    # The primary key is the idempotency guarantee: a second insert of the same id fails.
    Column("reservation_id", String(128), primary_key=True),
    # held -> confirmed (its order was confirmed) or released (given back: by the caller, or by the
    # expiry of a hold nobody confirmed). Held and confirmed units both count in products.reserved.
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # When a held reservation is released unless confirmed first; NULL once confirmed or released.
    Column("expires_at", DateTime(timezone=True), nullable=True, index=True),
    CheckConstraint(_STATUS_CHECK, name="ck_reservations_status"),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("reservation_id", String(128), ForeignKey("reservations.reservation_id"), primary_key=True),
    # Keeps the lines in the order the caller sent them.
    Column("line_no", Integer, primary_key=True),
    Column("product_id", String(64), ForeignKey("products.product_id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="ck_reservation_lines_quantity_positive"),
)


def create_schema(engine: Engine) -> None:
    """Brings the database to the newest revision of ``migrations/`` (Alembic): creates the tables in
    an empty one, upgrades one made by an older version (so a state directory or volume from before
    keeps its stock). The tables above describe the newest revision, for the queries."""
    migrate(engine, "hello_dd.services.inventory:migrations", _revision_of_untracked_tables)


def _revision_of_untracked_tables(conn: Connection) -> str | None:
    """A database made before revisions were tracked: 0002 when its reservations can expire, 0001
    when they cannot, None when it has no tables yet."""
    tables = inspect(conn)
    if not tables.has_table("reservations"):
        return None
    return "0002" if "expires_at" in {c["name"] for c in tables.get_columns("reservations")} else "0001"


def seed_catalogue(engine: Engine) -> int:
    """Adds the catalogue products that are missing and leaves existing rows alone, so restarting a
    service never resets stock that orders have used. Returns how many products were added."""
    rows = [
        {
            "product_id": p.product_id,
            "name": p.name,
            "category": p.category,
            "warehouse": p.warehouse,
            "available": p.initial_stock,
            "reserved": 0,
        }
        for p in CATALOGUE
    ]
    statement = (
        upsert_insert(engine, products)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[products.c.product_id])
        # RETURNING counts the added rows on both backends; with psycopg an INSERT reports rowcount -1.
        .returning(products.c.product_id)
    )
    with write_transaction(engine) as conn:
        return len(conn.execute(statement).all())
