"""The marked title lexemes in the search vectors (eplus.results.index.TITLE_MARK), by which a broad
query shows its title matches first: the index is rebuilt on PostgreSQL for the cards that exist
(index.rebuild_all, as migrations 0009 and 0013). SQLite has no vectors."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and apps.get_model("results", "ProjectCard").objects.exists():
        from eplus.results.index import rebuild_all

        rebuild_all()


class Migration(migrations.Migration):

    dependencies = [
        ('results', '0014_link_checks'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
