"""Reservations can be confirmed, and a hold expires: ``expires_at`` and the status ``confirmed``.

Holds made before this revision belong to checkouts that can no longer confirm them (their gateway
restarted too): they expire at the first sweep, and their units go back on the shelf.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUS_CHECK = "status IN ('held', 'confirmed', 'released')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite()
    else:
        op.add_column("reservations", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        op.drop_constraint("ck_reservations_status", "reservations", type_="check")
        op.create_check_constraint("ck_reservations_status", "reservations", STATUS_CHECK)
    op.create_index("ix_reservations_expires_at", "reservations", ["expires_at"])
    op.execute("UPDATE reservations SET expires_at = created_at WHERE status = 'held'")


def _rebuild_on_sqlite() -> None:
    """SQLite cannot change a CHECK constraint in place, and its foreign keys are enforced, so both
    reservation tables are rebuilt (renaming ``reservations`` re-points the foreign key of
    ``reservation_lines`` at the old copy, which is why the lines are rebuilt too)."""
    op.rename_table("reservations", "reservations_before_upgrade")
    op.create_table(
        "reservations",
        sa.Column("reservation_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name="ck_reservations_status"),
    )
    op.execute(
        "INSERT INTO reservations (reservation_id, status, created_at, expires_at) "
        "SELECT reservation_id, status, created_at, NULL FROM reservations_before_upgrade"
    )
    op.rename_table("reservation_lines", "reservation_lines_before_upgrade")
    op.create_table(
        "reservation_lines",
        sa.Column("reservation_id", sa.String(128), sa.ForeignKey("reservations.reservation_id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.String(64), sa.ForeignKey("products.product_id"), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_reservation_lines_quantity_positive"),
    )
    op.execute("INSERT INTO reservation_lines SELECT * FROM reservation_lines_before_upgrade")
    op.drop_table("reservation_lines_before_upgrade")
    op.drop_table("reservations_before_upgrade")
