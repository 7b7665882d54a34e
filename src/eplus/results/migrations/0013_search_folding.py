"""The search's folded columns (eplus.results.folding): the exact-title key and, on SQLite, the folded,
stemmed words. On PostgreSQL the index is rebuilt for the cards that exist, so their vectors are folded
as the queries now are (index.rebuild_all, as migration 0009). SQLite (the demo) is rebuilt by loading
the demo again, or index.rebuild_all() — not here: card by card it reads the current model, whose later
columns may not exist yet at this migration."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and apps.get_model("results", "ProjectCard").objects.exists():
        from eplus.results.index import rebuild_all

        rebuild_all()


class Migration(migrations.Migration):

    dependencies = [
        ('results', '0012_saved_searches'),
    ]

    operations = [
        migrations.AddField(
            model_name='projectcard',
            name='search_terms',
            field=models.TextField(blank=True, default='', db_default='', editable=False),
        ),
        migrations.AddField(
            model_name='projectcard',
            name='search_title',
            field=models.CharField(blank=True, default='', db_default='', db_index=True, editable=False, max_length=500),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
