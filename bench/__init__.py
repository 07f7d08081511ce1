"""UniCRM benchmarks: a data generator, an asyncpg baseline and an HTTP harness (never run by CI)."""
