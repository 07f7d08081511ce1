"""The ``unicrm`` command line: serve, migrate, inspect plugins and schemas, seed demo data,
manage users and departments. Every failure a user can cause ends in one line on stderr."""
