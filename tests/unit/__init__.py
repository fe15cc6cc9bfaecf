"""Pure logic: no database, no HTTP server, no process (settings, text, views, rules)."""
