"""Keep the search rows narrow (PostgreSQL): the tsvector goes out of line (TOAST) as soon as a row
passes 128 bytes, so scans that count facets or walk the ordering index read small heap pages; the
plain-lexeme GIN matches need no recheck, so they do not read the vectors at all."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE results_searchrow SET (toast_tuple_target = 128)")
        schema_editor.execute("ALTER TABLE results_searchrow ALTER COLUMN vector SET STORAGE EXTERNAL")
        # The static order of the search (newest call year first), read through this index.
        schema_editor.execute("CREATE INDEX IF NOT EXISTS results_searchrow_order ON results_searchrow "
                              "(call_year DESC NULLS LAST, identifier)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS results_searchrow_order")
        schema_editor.execute("ALTER TABLE results_searchrow RESET (toast_tuple_target)")
        schema_editor.execute("ALTER TABLE results_searchrow ALTER COLUMN vector SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("results", "0005_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
