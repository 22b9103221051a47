"""The inventory database: the tables, their upgrade from older versions, and the seed. The engine
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
    text,
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
    """Creates what is missing, and upgrades a database made by a version without confirmed
    reservations and expiry (so a state directory or volume from before keeps its stock)."""
    metadata.create_all(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("reservations")}
    if "expires_at" not in columns:
        with write_transaction(engine) as conn:
            _UPGRADES[engine.dialect.name](conn)
            # Holds made before the upgrade belong to checkouts that can no longer confirm them (the
            # gateway restarted too): they expire at the first sweep and their units go back on the shelf.
            conn.execute(
                reservations.update()
                .where(reservations.c.status == "held")
                .values(expires_at=reservations.c.created_at)
            )
        log.info("inventory database upgraded: reservations can be confirmed and expire")


def _upgrade_postgresql(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE reservations ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE"))
    conn.execute(text("CREATE INDEX ix_reservations_expires_at ON reservations (expires_at)"))
    conn.execute(text("ALTER TABLE reservations DROP CONSTRAINT ck_reservations_status"))
    conn.execute(text(f"ALTER TABLE reservations ADD CONSTRAINT ck_reservations_status CHECK ({_STATUS_CHECK})"))


def _upgrade_sqlite(conn: Connection) -> None:
    """SQLite cannot change a CHECK constraint in place, so both reservation tables are rebuilt
    (renaming ``reservations`` also re-points the foreign key of ``reservation_lines`` at the old copy)."""
    conn.execute(text("ALTER TABLE reservations RENAME TO reservations_before_upgrade"))
    reservations.create(conn)
    conn.execute(
        text(
            "INSERT INTO reservations (reservation_id, status, created_at, expires_at) "
            "SELECT reservation_id, status, created_at, NULL FROM reservations_before_upgrade"
        )
    )
    conn.execute(text("ALTER TABLE reservation_lines RENAME TO reservation_lines_before_upgrade"))
    reservation_lines.create(conn)
    conn.execute(text("INSERT INTO reservation_lines SELECT * FROM reservation_lines_before_upgrade"))
    conn.execute(text("DROP TABLE reservation_lines_before_upgrade"))
    conn.execute(text("DROP TABLE reservations_before_upgrade"))


_UPGRADES = {"postgresql": _upgrade_postgresql, "sqlite": _upgrade_sqlite}


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
