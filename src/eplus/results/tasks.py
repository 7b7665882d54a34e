"""Background work of the results platform (django-tasks): bringing the cards up to date after an
organisation's public fields changed (each card's search row and the facet counts are rebuilt), and
building the full open-data files after the public data changed."""

from django_tasks import task


@task()
def refresh_cards_of_organisation(organisation_id):
    """Copy the organisation's public fields into its cards and reindex them (idempotent)."""
    from eplus.organisations.models import Organisation

    from .publishing import refresh_from_organisation

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return refresh_from_organisation(organisation) if organisation is not None else 0


@task()
def build_open_data_files():
    """Build projects.csv and projects.xlsx from the public projection (eplus.results.opendata_files)."""
    from .opendata_files import build_files

    return build_files()


@task()
def delete_replaced_open_data_file(name):
    """Delete an open-data file some time after a newer build replaced it (opendata_files.delete_replaced)."""
    from .opendata_files import delete_replaced

    return delete_replaced(name)
