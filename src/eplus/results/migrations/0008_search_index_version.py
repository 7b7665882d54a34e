"""The search index version and change log (eplus.results.facets: the in-process facet engine)."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    apps.get_model("results", "SearchIndexVersion").objects.get_or_create(pk=1)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS results_searchindex_seq")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS results_searchindex_seq")


class Migration(migrations.Migration):
    dependencies = [("results", "0007_searchrow_filter_order_indexes")]
    operations = [
        migrations.CreateModel(
            name="SearchIndexVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
                ("full_version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="SearchIndexChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(db_index=True)),
                ("card_id", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
