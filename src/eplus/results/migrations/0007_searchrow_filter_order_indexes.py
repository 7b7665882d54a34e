"""Ordering indexes per scalar filter (PostgreSQL): a page filtered by status, action or sector reads its
20 rows in the static order straight from an index instead of walking the whole ordering index (e.g.
"finalised" projects sit behind every newer, ongoing one)."""

from django.db import migrations

COLUMNS = ("status", "action", "sector")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in COLUMNS:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS results_searchrow_{column}_order ON results_searchrow "
                                  f"({column}, call_year DESC NULLS LAST, identifier)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in COLUMNS:
            schema_editor.execute(f"DROP INDEX IF EXISTS results_searchrow_{column}_order")


class Migration(migrations.Migration):
    dependencies = [("results", "0006_searchrow_narrow_heap")]
    operations = [migrations.RunPython(forwards, backwards)]
