"""Alembic's entry point for this service's migrations (see hello_dd.services.common.migrations)."""

from hello_dd.services.common.migrations import run_migrations_online

run_migrations_online()
