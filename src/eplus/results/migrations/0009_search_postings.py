"""The posting lists of the rare search lexemes (eplus.results.facets reads a word's cards in one row),
built for the cards that exist (index.rebuild_all also rebuilds the rows, counts and frequent terms)."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if apps.get_model("results", "ProjectCard").objects.exists():
        from eplus.results.index import rebuild_all

        rebuild_all()


class Migration(migrations.Migration):
    dependencies = [("results", "0008_search_index_version")]
    operations = [
        migrations.CreateModel(
            name="SearchPosting",
            fields=[
                ("term", models.TextField(primary_key=True, serialize=False)),
                ("cards", models.BinaryField(default=b"")),
            ],
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
