"""Open data: the Commission's columns, import then export gives back the same values (CSV and XLSX,
the 2014–2020 and 2021+ variants, 3+ partner groups), row errors, idempotency, filters, catalogue."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from eplus.results import importer, opendata, publishing
from eplus.results.models import CardOrganisation, ProjectCard

from .conftest import card_data

NEW_HEADER = [h for h, _k in opendata.BASE_COLUMNS] + [
    p.format(n=n) for n in (1, 2, 3) for p, _k in opendata.PARTNER_COLUMNS] + ["Some column eplus does not know"]
OLD_HEADER = [
    "Programme", "Key Action", "Action Type", "Call year", "Project Number", "Project Title", "Project Summary",
    "Project Status", "EU Grant award in euros", "Good Practice", "Success Story", "Project Website",
    "Results Available", "Results Platform Project Card", "Participating countries",
    "Coordinating organization name", "Coordinating organization type", "Coordinator\u2019s address",
    "Coordinator\u2019s region", "Coordinator\u2019s country", "Coordinator\u2019s website",
] + [f"Partner {n} {part}" for n in (1, 2, 3, 4) for part in
     ("name", "organization type", "address", "region", "country", "website")]

PARTNERS = [
    ("Ezera pamatskola (fictional)", "School", "Ezera iela 2, Cēsis", "Vidzeme", "LV", "https://ezers.example"),
    ("Nemunas Youth Club (fictional)", "Youth organisation", "Upės g. 5, Kaunas", "Kauno apskritis", "LT", ""),
    ("Centro Estudos Mar (fictional)", "Research centre", "Rua do Mar 9, Porto", "Norte", "PT",
     "https://mar.example"),
    ("Tallinn Learning Lab (fictional)", "Non-governmental organisation", "Mere pst 1", "Harju", "EE", ""),
]


def new_row(i, partners=3):
    coordinator = ("Rīgas Valsts tehnikums (fictional)", "Vocational education and training provider",
                   "Skolas iela 1, Rīga", "Rīga", "LV", "https://rvt.example")
    chosen = PARTNERS[:partners]
    countries = list(dict.fromkeys([coordinator[4]] + [p[4] for p in chosen]))
    row = {
        "Programme": "Erasmus+",
        "Key Action": "Cooperation among organisations and institutions",
        "Action Type": "Cooperation partnerships in vocational education and training (KA220-VET)",
        "Call year": "2022",
        "Project Identifier": f"2022-1-LV01-KA220-VET-{i:09d}",
        "Project Title": f"Welding for a green future {i}",
        "Topics": "Green skills; Inclusion - promoting equality and non-discrimination",
        "Project Summary": "Schools, \"quoted\" words, commas, and a new\nline in the summary.",
        "Project Status": "Finalised" if i % 2 else "Ongoing",
        opendata.EU_GRANT_COLUMN: "250000.00" if i % 2 else "120500.50",
        "Is Good Practice": "Yes" if i == 1 else "No",
        "Is Success Story": "No",
        "Project Website": f"https://project{i}.example",
        "Results Available": "No",
        "Results Platform Project Card": f"https://commission.example/projects/{i}",
        "Participating countries": ",".join(countries),
        "Coordinating organisation name": coordinator[0],
        "Coordinating organisation type": coordinator[1],
        "Coordinator's address": coordinator[2],
        "Coordinator's region": coordinator[3],
        "Coordinator's country": coordinator[4],
        "Coordinator's website": coordinator[5],
        "Start date": "2022-09-01",
        "End date": "2024-08-31",
        "Some column eplus does not know": "ignored",
    }
    for n in (1, 2, 3):
        values = chosen[n - 1] if n <= len(chosen) else ("",) * 6
        for (pattern, _key), value in zip(opendata.PARTNER_COLUMNS, values, strict=True):
            row[pattern.format(n=n)] = value
    return [row[h] for h in NEW_HEADER]


def old_row(i):
    coordinator = ("Jelgavas skola (fictional)", "School", "Lielā iela 3, Jelgava", "Zemgale", "LV", "")
    countries = list(dict.fromkeys([coordinator[4]] + [p[4] for p in PARTNERS]))
    row = ["Erasmus+", "Cooperation for innovation and the exchange of good practices",
           "Strategic Partnerships for school education (KA201)", "2018", f"2018-1-LV01-KA201-{46000 + i:06d}",
           f"Old school partnership {i}", "A historical project.", "Finalised", "31200.00", "No",
           "Yes" if i == 2 else "No", "", "No", f"https://commission.example/old/{i}", ",".join(countries),
           *coordinator]
    for partner in PARTNERS:
        row += list(partner)
    return row


def write_file(tmp_path, name, header, rows):
    path = tmp_path / name
    if name.endswith(".xlsx"):
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Projects")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        delimiter = ";" if "semicolon" in name else ","
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(header)
            writer.writerows(rows)
    return path


def export_table(client, **params):
    response = client.get(reverse("opendata_csv"), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def by_key(header, row):
    """{column key: value} of a row, keys as the importer understands the header."""
    values = {}
    for name, value in zip(header, row, strict=True):
        key = importer.column_key(name)
        if key is not None:
            values[key] = importer._text(value)
    return values


VARIANTS = {
    "new.csv": (NEW_HEADER, lambda: [new_row(i) for i in (1, 2)] + [new_row(3, partners=1)]),
    "new.xlsx": (NEW_HEADER, lambda: [new_row(i) for i in (11, 12)]),
    "old-semicolon.csv": (OLD_HEADER, lambda: [old_row(i) for i in (1, 2)]),
    "old.xlsx": (OLD_HEADER, lambda: [old_row(i) for i in (5, 6)]),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_import_then_export_gives_back_the_same_values(name, tmp_path, client, lv01):
    header, make_rows = VARIANTS[name]
    rows = make_rows()
    path = write_file(tmp_path, name, header, rows)
    call_command("import_project_list", str(path))
    assert ProjectCard.objects.count() == len(rows)

    table = export_table(client)
    exported = {}
    for row in table[1:]:
        values = by_key(table[0], row)
        exported[values["identifier"]] = values
    compared = 0
    for row in rows:
        given = by_key(header, row)
        got = exported[given["identifier"]]
        for key, value in given.items():
            if key not in got:  # not a shared column (e.g. a 5th partner the export set does not need)
                assert value == ""
                continue
            assert got[key] == value, f"{name}: {key} {got[key]!r} != {value!r}"
            compared += 1
    assert compared >= len(rows) * 30
    assert "card_url" in given  # the Commission's card URL came back too (imported cards keep it)
    # 3+ partner groups went in and came back; the agency came from the identifier.
    card = ProjectCard.objects.get(identifier=importer._text(rows[0][header.index(
        "Project Identifier" if "Project Identifier" in header else "Project Number")]))
    assert card.organisations.filter(role=CardOrganisation.Role.PARTNER).count() >= 3
    assert card.agency == lv01


def test_import_is_idempotent_and_reports_bad_rows(tmp_path, lv01):
    rows = [new_row(1), new_row(2), new_row(3)]
    rows[1][NEW_HEADER.index("Call year")] = "twenty"
    rows[2][NEW_HEADER.index("End date")] = "31 August"
    path = write_file(tmp_path, "bad.csv", NEW_HEADER, rows)
    err, out = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_project_list", str(path), "--skip-invalid", stdout=out, stderr=err)
    assert exit_info.value.code == 2
    assert ProjectCard.objects.count() == 1
    assert "row 3, column 'Call year': not a year: 'twenty'" in err.getvalue()
    assert "row 4, column 'End date': not a date" in err.getvalue()
    assert "3/3 rows" in err.getvalue()  # the progress bar
    assert "1 projects were created, 0 were updated, 0 unchanged, 2 rows skipped" in out.getvalue()

    rows[1][NEW_HEADER.index("Call year")] = "2022"
    rows[2][NEW_HEADER.index("End date")] = "31/08/2024"
    rows[0][NEW_HEADER.index("Project Title")] = "A changed title"
    write_file(tmp_path, "bad.csv", NEW_HEADER, rows)
    out = io.StringIO()
    call_command("import_project_list", str(path), stdout=out, stderr=io.StringIO())
    assert "2 projects were created, 1 were updated, 0 unchanged, 0 rows skipped" in out.getvalue()
    assert ProjectCard.objects.count() == 3
    assert ProjectCard.objects.get(identifier=importer._text(rows[0][4])).title == "A changed title"
    assert ProjectCard.objects.get(identifier=importer._text(rows[2][4])).end_date.isoformat() == "2024-08-31"
    # Each card's organisations were replaced, not duplicated.
    assert CardOrganisation.objects.count() == 3 * 4


def test_dry_run_saves_nothing(tmp_path, lv01):
    path = write_file(tmp_path, "dry.csv", NEW_HEADER, [new_row(1)])
    out = io.StringIO()
    call_command("import_project_list", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert ProjectCard.objects.count() == 0
    assert "1 projects would be created" in out.getvalue()


def test_a_file_that_is_not_a_project_list_is_refused_clearly(tmp_path, lv01):
    from django.core.management.base import CommandError

    path = write_file(tmp_path, "other.csv", ["Name", "Amount"], [["x", "1"]])
    with pytest.raises(CommandError, match="no 'Project Identifier' and no 'Project Title' column"):
        call_command("import_project_list", str(path), stderr=io.StringIO())


def test_export_has_the_commission_columns_and_applies_the_search_filters(client, card, lv01, coordinator,
                                                                           partner_org):
    other = publishing.publish_project_card(card_data(lv01, {"name": "Solo school", "country": "EE"},
                                                    title="Estonian robotics", good_practice=True))
    table = export_table(client)
    assert table[0][:len(opendata.BASE_COLUMNS)] == [h for h, _k in opendata.BASE_COLUMNS]
    assert opendata.EU_GRANT_COLUMN in table[0] and "Partner 1 name" in table[0] and "Partner 2 name" not in table[0]
    rows = {r[table[0].index("Project Identifier")]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert rows[card.identifier]["Participating countries"] == "LV,LT"
    assert rows[card.identifier]["Is Good Practice"] == "No"
    assert rows[other.identifier]["Is Good Practice"] == "Yes"
    assert rows[card.identifier]["Partner 1 country"] == "LT"
    assert not any("@" in value for row in rows.values() for value in row.values())  # no e-mail addresses
    # The search's query and filters apply.
    only = export_table(client, q="robotics")
    assert [r[table[0].index("Project Identifier")] for r in only[1:]] == [other.identifier]
    only = export_table(client, country="LT")
    assert [r[table[0].index("Project Identifier")] for r in only[1:]] == [card.identifier]
    xlsx = client.get(reverse("opendata_xlsx"), {"good_practice": "yes"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][table[0].index("Project Identifier")] == other.identifier


def test_catalogue_and_notice(client, card):
    data = json.loads(client.get(reverse("opendata_catalogue")).content)
    assert data["@type"] == "dcat:Catalog"
    assert data["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    dataset = data["dcat:dataset"][0]
    formats = {d["dct:format"] for d in dataset["dcat:distribution"]}
    assert formats == {"CSV", "XLSX", "JSON"}
    assert data["dct:modified"]["@value"]
    page = client.get(reverse("opendata")).content.decode()
    assert "CC BY 4.0" in page and reverse("opendata_csv") in page and reverse("opendata_catalogue") in page


def test_no_live_formulas_in_the_open_data_and_the_importer_reads_our_csv_back(client, lv01, tmp_path):
    from eplus.results import opendata_files
    from tests.exports_check import HOSTILE, assert_csv_is_safe, assert_xlsx_is_safe

    hostile = publishing.publish_project_card(card_data(
        lv01, {"name": "@SUM(A1:A9)", "type": "school", "country": "LV", "address": "-2+3 cmd", "region": "",
               "website": ""}, title=HOSTILE, topics=["+SUM(1,1)"]))
    values = (HOSTILE, "@SUM(A1:A9)", "-2+3 cmd", "+SUM(1,1)")
    streamed = b"".join(client.get(reverse("opendata_csv")).streaming_content).decode("utf-8-sig")
    assert_csv_is_safe(streamed, *values)
    assert_xlsx_is_safe(b"".join(client.get(reverse("opendata_xlsx")).streaming_content), *values)
    opendata_files.build_files()  # the stored full files come from the same writer
    assert_csv_is_safe(b"".join(client.get(reverse("opendata_csv")).streaming_content).decode("utf-8-sig"), *values)
    assert_xlsx_is_safe(b"".join(client.get(reverse("opendata_xlsx")).streaming_content), *values)
    # Our own CSV, imported again (as another platform or a re-import would), keeps the values.
    ProjectCard.objects.filter(pk=hostile.pk).update(title="changed")
    path = tmp_path / "ours.csv"
    path.write_text(streamed, encoding="utf-8-sig")
    call_command("import_project_list", str(path))
    hostile.refresh_from_db()
    assert hostile.title == HOSTILE
    coordinator = hostile.organisations.get(role=CardOrganisation.Role.COORDINATOR)
    assert (coordinator.name, coordinator.address) == ("@SUM(A1:A9)", "-2+3 cmd")
