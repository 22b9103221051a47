"""inventory-service: stock levels and reservations over SQL (SQLite by default, or PostgreSQL)."""
