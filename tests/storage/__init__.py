"""On a real database (SQLite, and PostgreSQL when set): outbox, races, queries, use cases."""
