"""No unit booked twice at once, enforced by PostgreSQL: an exclusion constraint over each live BookingUnit's
blocked time (start to end plus buffer) per unit, so two overlapping live rows of one unit cannot both commit.
btree_gist lets the GiST index compare the unit id with "="; it is a trusted extension since PostgreSQL 13.
SQLite has no exclusion constraints: there bookings rely on SQLite's single writer (see models/bookings.py)."""

from django.db import migrations

CONSTRAINT = "booking_unit_no_overlap"
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"ALTER TABLE commons_bookingunit ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
    "(unit_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) WHERE (is_live)",
]
DROP = [f"ALTER TABLE commons_bookingunit DROP CONSTRAINT IF EXISTS {CONSTRAINT}"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("commons", "0001_commons_tables")]
    operations = [migrations.RunPython(create, drop)]
