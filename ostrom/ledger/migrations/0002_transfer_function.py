"""The PostgreSQL function behind single transfers (see ostrom/ledger/sql.py). SQLite needs none."""

from django.db import migrations

from ostrom.ledger.sql import POSTGRES_FUNCTION


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_transfer")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(create_function, drop_function)]
