-- The gateway keeps its orders, checkouts and report jobs in a database of its own, next to
-- inventory's (POSTGRES_DB) on the same server. Run once, when the data directory is first made.
CREATE DATABASE gateway;
