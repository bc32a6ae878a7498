"""Full-text search over listings on PostgreSQL: a GIN index over the English tsvector of ``search_text``.
The search query (market/search.py) uses the very same expression, so the planner can use the index. SQLite has
no such index; search there falls back to LIKE (see search.py)."""

from django.db import migrations

INDEX = "listing_search_text_fts"
CREATE = f"CREATE INDEX IF NOT EXISTS {INDEX} ON market_listing USING gin (to_tsvector('english', search_text))"
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("market", "0001_listings_and_exchanges")]
    operations = [migrations.RunPython(create, drop)]
