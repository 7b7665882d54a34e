"""GIN indexes of the search rows (PostgreSQL). The rows of existing cards are built by 0009, once every
table the index needs exists."""

from django.db import migrations

INDEXES = [
    ("results_searchrow_vector_gin", "CREATE INDEX IF NOT EXISTS results_searchrow_vector_gin "
                                     "ON results_searchrow USING gin (vector)"),
    ("results_searchrow_countries_gin", "CREATE INDEX IF NOT EXISTS results_searchrow_countries_gin "
                                        "ON results_searchrow USING gin (countries jsonb_path_ops)"),
    ("results_searchrow_types_gin", "CREATE INDEX IF NOT EXISTS results_searchrow_types_gin "
                                    "ON results_searchrow USING gin (result_types jsonb_path_ops)"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _name, sql in INDEXES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _sql in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("results", "0004_search_rows")]
    operations = [migrations.RunPython(forwards, backwards)]
