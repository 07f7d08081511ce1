"""The one Alembic environment: a core branch plus one labelled branch per installed plugin."""
