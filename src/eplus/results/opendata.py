"""Open data in the Commission's project-list format (DOMAIN §8): CSV and XLSX exports, and the
column mapping the import command reads back.

The columns are data (:data:`BASE_COLUMNS`, then ``Partner n …`` groups). The exported set has as many
partner groups as the card with the most partners in it (at least one group), so no partner is cut
off and no file carries hundreds of empty columns. Rows are built ONLY from the public projection
(:func:`eplus.results.public.public_card_dict`); there is no column for people (no contact names,
e-mails or phones). Flags are ``Yes`` / ``No``; participating countries are ISO codes joined by ","
without spaces, written as the Commission writes them (``EL``, ``UK``); the status is the
Commission's word for an imported card; dates are ISO 8601; the grant is a plain number with a decimal point. Text that a
spreadsheet would run as a formula is neutralised by the one export writer (eplus.core.exports).

Both exports stream: the cards are read with ``.iterator(chunk_size=…)`` (the organisations are
prefetched chunk by chunk), CSV rows go straight to the response and the XLSX workbook is written
by openpyxl's write-only mode to a temporary file that is then sent — constant memory either way.
"""

import functools
import shutil
import tempfile
import zipfile
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from eplus.core.exports import XLSX_CONTENT_TYPE, XlsxSheet, csv_stream

from . import public
from .models import CardOrganisation, ProjectStatus

EU_GRANT_COLUMN = (
    "EU Grant award in euros (This amount represents the grant awarded after the selection stage and is "
    "indicative. Please note that any changes made during or after the project's lifetime will not be "
    "reflected here.)"
)

# (header, key) in the Commission's order; "Start date" / "End date" are the newer files' additions.
BASE_COLUMNS = [
    ("Programme", "programme"),
    ("Key Action", "key_action"),
    ("Action Type", "action_type"),
    ("Call year", "call_year"),
    ("Project Identifier", "identifier"),
    ("Project Title", "title"),
    ("Topics", "topics"),
    ("Project Summary", "summary"),
    ("Project Status", "status"),
    (EU_GRANT_COLUMN, "eu_grant"),
    ("Is Good Practice", "good_practice"),
    ("Is Success Story", "success_story"),
    ("Project Website", "website"),
    ("Results Available", "results_available"),
    ("Results Platform Project Card", "card_url"),
    ("Participating countries", "countries"),
    ("Coordinating organisation name", "coordinator.name"),
    ("Coordinating organisation type", "coordinator.type"),
    ("Coordinator's address", "coordinator.address"),
    ("Coordinator's region", "coordinator.region"),
    ("Coordinator's country", "coordinator.country"),
    ("Coordinator's website", "coordinator.website"),
    ("Start date", "start_date"),
    ("End date", "end_date"),
]
# Partner n …: (header pattern, organisation key)
PARTNER_COLUMNS = [
    ("Partner {n} name", "name"),
    ("Partner {n} organisation type", "type"),
    ("Partner {n} address", "address"),
    ("Partner {n} region", "region"),
    ("Partner {n} country", "country"),
    ("Partner {n} website", "website"),
]
TOPIC_SEPARATOR = "; "
# The status labels of the files (English, whatever the page language).
STATUS_LABELS = {ProjectStatus.ONGOING: "Ongoing", ProjectStatus.FINALISED: "Finalised",
                 ProjectStatus.TERMINATED: "Terminated", ProjectStatus.TERMINATED_WITH_COSTS: "Terminated",
                 ProjectStatus.TERMINATED_WITHOUT_COSTS: "Terminated"}
# The Commission's files write Greece and the United Kingdom with the EU's codes, not ISO 3166's: eplus
# stores the ISO code and writes the Commission's (the importer reads both).
COMMISSION_COUNTRY_CODES = {"GR": "EL", "GB": "UK"}
CHUNK_SIZE = 500


def yes_no(value):
    return "Yes" if value else "No"


def organisation_type_label(value):
    """The English label of a known organisation type key (the value itself otherwise)."""
    return _english_organisation_types().get(value, value or "")


@functools.cache
def _english_organisation_types():
    # Once per process: switching the language for every organisation of a 300 000-row export was a
    # third of its time.
    from django.utils import translation

    from eplus.organisations.models import OrganisationType

    with translation.override("en"):
        return {key: str(label) for key, label in OrganisationType.choices}


def header(partner_groups):
    columns = [h for h, _k in BASE_COLUMNS]
    for n in range(1, partner_groups + 1):
        columns += [pattern.format(n=n) for pattern, _k in PARTNER_COLUMNS]
    return columns


def _money(value):
    if value is None:
        return ""
    return f"{value:.2f}"


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else ""


def commission_country(code):
    """The country code as the Commission's files write it (GR → EL, GB → UK)."""
    return COMMISSION_COUNTRY_CODES.get(code, code or "")


def status_value(card, status):
    """The status as the Commission writes it: an imported card's own word (``Closed``, ``finalized``…)
    while it still means the card's status, else the English label."""
    from .importer import STATUS_VALUES

    written = getattr(card, "commission_status", "") or ""
    if written and STATUS_VALUES.get(written.lower()) == status:
        return written
    return STATUS_LABELS.get(status, status)


def _org_values(org):
    if not org:
        return {"name": "", "type": "", "address": "", "region": "", "country": "", "website": ""}
    return {"name": org["name"], "type": organisation_type_label(org["type"]), "address": org["address"],
            "region": org["region"], "country": commission_country(org["country"]), "website": org["website"]}


def card_row(card, partner_groups, site=None):
    """One row of the file for a card, from the public projection only."""
    data = public.public_card_dict(card)
    site = (site if site is not None else settings.SITE_URL).rstrip("/")
    coordinator = _org_values(data["coordinator"])
    values = {
        "programme": data["programme"],
        "key_action": data["key_action"],
        "action_type": data["action_type"],
        "call_year": str(data["call_year"]) if data["call_year"] else "",
        "identifier": data["identifier"],
        "title": data["title"],
        "topics": TOPIC_SEPARATOR.join(data["topics"]),
        "summary": data["summary"],
        "status": status_value(card, data["status"]),
        "eu_grant": _money(data["eu_grant"]),
        "good_practice": yes_no(data["good_practice"]),
        "success_story": yes_no(data["success_story"]),
        "website": data["website"],
        # An imported card keeps the Commission's "Results Available" (Yes once it has public results here).
        "results_available": yes_no(getattr(card, "commission_results_available", None) or (
            card.results_available if hasattr(card, "results_available") else public.public_results(card))),
        # An imported card links to its card on the Commission's platform, as the Commission's file did.
        "card_url": getattr(card, "commission_url", "") or site + reverse("results:project", args=[data["identifier"]]),
        "countries": ",".join(commission_country(c) for c in data["countries"]),
        "start_date": _iso(data["start_date"]),
        "end_date": _iso(data["end_date"]),
    }
    for key, value in coordinator.items():
        values[f"coordinator.{key}"] = value
    row = [values[key] for _h, key in BASE_COLUMNS]
    partners = data["partners"]
    for n in range(partner_groups):
        org = _org_values(partners[n] if n < len(partners) else None)
        row += [org[key] for _p, key in PARTNER_COLUMNS]
    return row


def export_queryset(query_text="", filters=None):
    """The cards to export: the search's matches, with "results available" computed in SQL."""
    from .search import matching_cards

    return matching_cards(query_text, filters).defer("search_document", "topics_text").annotate(
        results_available=Exists(public.public_results_qs().filter(card=OuterRef("pk"))))


def partner_groups_for(qs):
    """How many ``Partner n`` groups the exported set needs (the most partners of one card; at least 1)."""
    most = (CardOrganisation.objects.filter(card__in=qs.order_by().values("pk"), role=CardOrganisation.Role.PARTNER)
            .values("card").annotate(n=Count("pk")).order_by("-n").values_list("n", flat=True).first())
    return max(1, most or 0)


def rows(query_text="", filters=None, site=None, tally=None):
    """The header, then one row per exported card; streams (chunked iteration). ``tally`` (a dict), when
    given, gets the number of cards written under "rows" — counted from what was written, not by a
    separate query that a change in between would make disagree with the file."""
    qs = export_queryset(query_text, filters)
    groups = partner_groups_for(qs)
    yield header(groups)
    chunk = []
    for card in qs.prefetch_related(None).iterator(chunk_size=CHUNK_SIZE):
        chunk.append(card)
        if len(chunk) >= CHUNK_SIZE:
            yield from _chunk_rows(chunk, groups, site, tally)
            chunk = []
    yield from _chunk_rows(chunk, groups, site, tally)


class _ExportOrganisation:
    """The fields of a CardOrganisation the export reads (a model instance costs more than the row)."""

    __slots__ = ORGANISATION_FIELDS = ("id", "card_id", "role", "oid", "name", "organisation_type", "address",
                                       "region", "country", "website")

    def __init__(self, values):
        for name, value in zip(self.ORGANISATION_FIELDS, values, strict=True):
            setattr(self, name, value)

    @property
    def page_key(self):
        return self.oid or str(self.id)


def _chunk_rows(cards, groups, site, tally=None):
    """The rows of a chunk of cards, their organisations loaded in one query (as the prefetch would, in
    the same order), as plain rows."""
    if not cards:
        return
    by_card = {card.pk: [] for card in cards}
    for values in (CardOrganisation.objects.filter(card_id__in=list(by_card)).order_by("card_id", "order", "pk")
                   .values_list(*_ExportOrganisation.ORGANISATION_FIELDS)):
        by_card[values[1]].append(_ExportOrganisation(values))
    for card in cards:
        card.public_organisations = by_card[card.pk]
        yield card_row(card, groups, site)
        if tally is not None:
            tally["rows"] = tally.get("rows", 0) + 1


def csv_chunks(query_text="", filters=None, site=None, rows_per_chunk=500, tally=None):
    """The CSV file as a stream of text pieces (UTF-8 with a BOM so spreadsheets read the accents)."""
    return csv_stream(rows(query_text, filters, site, tally), bom=True, rows_per_chunk=rows_per_chunk)


def write_xlsx(fileobj, query_text="", filters=None, site=None, tally=None):
    """Write the XLSX file to ``fileobj`` (write-only workbook: constant memory).

    The same data gives the same bytes (so the stored file's SHA-256, its ETag, changes only with the
    data): the document's dates are the data's last change and the zip entries carry a fixed time."""
    from openpyxl.writer.excel import ExcelWriter

    sheet = XlsxSheet("Projects")
    changed = last_modified()
    sheet.workbook.properties.created = sheet.workbook.properties.modified = (
        changed.replace(tzinfo=None, microsecond=0) if changed else _ZIP_EPOCH)
    for row in rows(query_text, filters, site, tally):
        sheet.append(row)
    with _ReproducibleZip(fileobj, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(sheet.workbook, archive).save()  # what workbook.save does, less its "modified = now"


_ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest time a zip entry can carry


class _ReproducibleZip(zipfile.ZipFile):
    """A zip file whose entries carry :data:`_ZIP_EPOCH` instead of the time they were written."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        entry = self._entry(arcname or filename)
        with open(filename, "rb") as source, self.open(entry, "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)

    def _entry(self, name):
        entry = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH.timetuple()[:6])
        entry.compress_type = self.compression
        entry.external_attr = 0o600 << 16
        return entry


def xlsx_tempfile(query_text="", filters=None, site=None):
    """A temporary file (deleted when closed) holding the XLSX export, positioned at the start."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(handle, query_text, filters, site)
    handle.seek(0)
    return handle


# --- DCAT-AP catalogue ------------------------------------------------------------------------------

LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


def catalogue(site, modified):
    """The DCAT-AP catalogue (JSON-LD) describing the project list in CSV, XLSX and the JSON API."""
    site = site.rstrip("/")
    modified_text = modified.date().isoformat() if isinstance(modified, datetime) else str(modified or "")
    publisher = {"@type": "foaf:Agent", "foaf:name": "eplus — Erasmus+ National Agency platform"}
    distributions = [
        ("csv", reverse("opendata_csv"), "text/csv", "CSV"),
        ("xlsx", reverse("opendata_xlsx"),
         XLSX_CONTENT_TYPE, "XLSX"),
        ("api", "/api/v1/public/projects", "application/json", "JSON"),
    ]
    dataset_id = f"{site}{reverse('opendata')}#projects"
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{site}{reverse('opendata_catalogue')}",
        "@type": "dcat:Catalog",
        "dct:title": {"@language": "en", "@value": "Erasmus+ projects and results"},
        "dct:description": {"@language": "en", "@value": (
            "Public project cards of Erasmus+ projects managed on this platform, in the European "
            "Commission's project-list format.")},
        "dct:publisher": publisher,
        "dct:license": {"@id": LICENSE_URL},
        "dct:modified": {"@type": "xsd:date", "@value": modified_text},
        "foaf:homepage": {"@id": f"{site}{reverse('opendata')}"},
        "dcat:dataset": [{
            "@id": dataset_id,
            "@type": "dcat:Dataset",
            "dct:title": {"@language": "en", "@value": "Erasmus+ project list"},
            "dct:description": {"@language": "en", "@value": (
                "One row per public project: programme, action, call year, identifier, title, topics, "
                "summary, status, EU grant, flags, participating organisations and countries. No personal "
                "data.")},
            "dct:publisher": publisher,
            "dct:license": {"@id": LICENSE_URL},
            "dct:modified": {"@type": "xsd:date", "@value": modified_text},
            "dcat:keyword": ["Erasmus+", "projects", "results", "education", "training", "youth"],
            "dcat:landingPage": {"@id": f"{site}{reverse('opendata')}"},
            "dcat:distribution": [{
                "@id": f"{dataset_id}-{key}",
                "@type": "dcat:Distribution",
                "dct:title": {"@language": "en", "@value": f"Erasmus+ project list ({fmt})"},
                "dcat:accessURL": {"@id": f"{site}{path}"},
                "dcat:downloadURL": {"@id": f"{site}{path}"},
                "dcat:mediaType": media_type,
                "dct:format": fmt,
                "dct:license": {"@id": LICENSE_URL},
            } for key, path, media_type, fmt in distributions],
        }],
    }


def last_modified():
    """When the public data last changed (the newest card change), for the catalogue."""
    from django.db.models import Max

    from .models import ProjectCard

    return ProjectCard.objects.filter(public.PUBLIC_CARD_Q).aggregate(m=Max("updated_at"))["m"]

