"""Schema migrations with Alembic, run at start-up by inventory and the gateway.

Each service keeps its migrations in a ``migrations`` package beside its tables (``env.py`` and
``versions/``). :func:`migrate` brings a database to the newest revision in one transaction. A database
made before the service tracked revisions (it has the tables but no ``alembic_version``) is first
stamped with the revision its tables match, so its data is kept and only what is missing is added.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from hello_dd.services.common import telemetry

#: Given a connection to a database without revision history, the revision its tables match (None:
#: the database is empty, every migration runs).
LegacyRevision = Callable[[Connection], str | None]


def migrate(engine: Engine, migrations_package: str, legacy_revision: LegacyRevision) -> None:
    """Upgrade the database behind ``engine`` to the newest revision of ``migrations_package``
    (e.g. ``hello_dd.services.inventory:migrations``)."""
    config = Config()
    config.set_main_option("script_location", migrations_package)
    # Start-up work, no request's: its statements make no spans (telemetry.quietly).
    with telemetry.quietly(), engine.begin() as connection:
        config.attributes["connection"] = connection
        if MigrationContext.configure(connection).get_current_revision() is None and (
            revision := legacy_revision(connection)
        ):
            command.stamp(config, revision)
        command.upgrade(config, "head")


def run_migrations_online() -> None:
    """The body of every ``env.py``: migrate on the connection :func:`migrate` passes in."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(connection=connection, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
