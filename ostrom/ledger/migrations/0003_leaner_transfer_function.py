"""The single-transfer function, leaner (see ostrom/ledger/sql.py): both accounts change in one UPDATE whose
RETURNING gives the balances for the insert (no re-reads), and the key lookup is gone (the unique constraint
refuses a used key and the caller replays it), so the result no longer has a ``replayed`` column. A function's
result type cannot be changed in place, hence the DROP before the CREATE."""

from django.db import migrations

from ostrom.ledger.sql import POSTGRES_FUNCTION, POSTGRES_SIGNATURE


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {POSTGRES_SIGNATURE}")
        schema_editor.execute(POSTGRES_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_transfer_function")]
    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
