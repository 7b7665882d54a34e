"""The bulk import of the Commission's project lists: all or nothing by default, --skip-invalid (exit 2),
--dry-run, encodings (refused with the byte's position; cp1252 and ISO-8859-13 with --encoding), the
Commission's header and country variants, BOM and semicolons, dates and amounts, re-imports that write
nothing, one audit event per changed card, a warning for missing columns, no invitations for imported
historical projects, the batch index equal to the card-by-card one, and the round trip of every shared
column with the Commission's own values (EL/UK, Closed/finalized, card URL, Results Available)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from eplus.core.models import AuditEvent
from eplus.results import importer, opendata
from eplus.results.models import CardOrganisation, FacetCount, ProjectCard, SearchRow

from .test_opendata import NEW_HEADER, by_key, export_table, new_row, write_file


def run(path, *args):
    """(exit status, stdout, stderr) of the command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_project_list", str(path), *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def card_events():
    return AuditEvent.objects.filter(object_type="results.projectcard")


def col(name):
    return NEW_HEADER.index(name)


def test_a_bad_row_writes_nothing_exits_1_and_every_problem_is_listed(tmp_path, lv01):
    rows = [new_row(1), new_row(2), new_row(3)]
    rows[1][col("End date")] = "31 August"
    rows[2][col(opendata.EU_GRANT_COLUMN)] = "lots"
    rows[2][col("Call year")] = "twenty"
    code, out, err = run(write_file(tmp_path, "bad.csv", NEW_HEADER, rows))
    assert code == 1
    assert not ProjectCard.objects.exists() and not CardOrganisation.objects.exists()
    assert not card_events().exists() and not SearchRow.objects.exists()
    assert "row 3, column 'End date': not a date: '31 August'" in err
    assert f"row 4, column '{opendata.EU_GRANT_COLUMN}': not an amount in euros: 'lots'" in err
    assert "row 4, column 'Call year': not a year: 'twenty'" in err
    assert "nothing was imported because 2 rows are invalid" in out


def test_skip_invalid_imports_the_good_rows_and_exits_2(tmp_path, lv01):
    rows = [new_row(1), new_row(2), new_row(3)]
    rows[1][col("Call year")] = "twenty"
    code, out, err = run(write_file(tmp_path, "some.csv", NEW_HEADER, rows), "--skip-invalid")
    assert code == 2
    assert sorted(ProjectCard.objects.values_list("identifier", flat=True)) == [
        rows[0][col("Project Identifier")], rows[2][col("Project Identifier")]]
    assert "row 3, column 'Call year'" in err and "1 rows skipped" in out
    # Nothing skipped: exit status 0.
    assert run(write_file(tmp_path, "good.csv", NEW_HEADER, [new_row(4)]), "--skip-invalid")[0] == 0


def test_a_duplicate_identifier_is_an_invalid_row(tmp_path, lv01):
    code, _out, err = run(write_file(tmp_path, "dup.csv", NEW_HEADER, [new_row(1), new_row(1)]))
    assert code == 1 and not ProjectCard.objects.exists()
    assert "row 3, column 'Project Identifier'" in err and "also on row 2" in err


def test_dry_run_reports_and_writes_nothing(tmp_path, lv01):
    path = write_file(tmp_path, "list.csv", NEW_HEADER, [new_row(1), new_row(2)])
    assert run(path)[0] == 0
    events = card_events().count()
    rows = [new_row(1), new_row(2), new_row(3)]
    rows[0][col("Project Title")] = "A title changed in the dry run"
    code, out, _err = run(write_file(tmp_path, "list.csv", NEW_HEADER, rows), "--dry-run")
    assert code == 0
    assert "1 projects would be created, 1 would be updated, 1 unchanged" in out
    assert ProjectCard.objects.count() == 2 and card_events().count() == events
    assert not ProjectCard.objects.filter(title="A title changed in the dry run").exists()


def _latin_file(tmp_path, name, encoding, coordinator, partner):
    rows = [[value.encode(encoding, "ignore").decode(encoding) for value in new_row(1)]]
    rows[0][col("Coordinating organisation name")] = coordinator
    rows[0][col("Partner 1 name")] = partner
    path = tmp_path / name
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(NEW_HEADER)
        writer.writerows(rows)
    return path


def test_a_windows_1252_file_is_refused_naming_the_byte_and_read_with_encoding(tmp_path, lv01):
    coordinator, partner = "Université Côte d’Azur (fictional)", "Lycée Général Élise (fictional)"
    path = _latin_file(tmp_path, "fr.csv", "cp1252", coordinator, partner)
    data = path.read_bytes()
    position = next(i for i, byte in enumerate(data) if byte >= 0x80)  # the first byte that is not ASCII
    line = data[:position].count(b"\n") + 1
    assert line > 2  # the summary's line break: the second row starts on line 2, its first bad byte is later
    with pytest.raises(CommandError) as refused:
        call_command("import_project_list", str(path), stderr=io.StringIO())
    message = str(refused.value)
    assert "not UTF-8" in message and "--encoding" in message
    assert f"row 2 (line {line}), byte {position + 1} (0x{data[position]:02X})" in message
    assert not ProjectCard.objects.exists()

    assert run(path, "--encoding", "cp1252")[0] == 0
    card = ProjectCard.objects.get()
    names = list(card.organisations.order_by("order").values_list("name", flat=True))
    assert names[:2] == [coordinator, partner]
    assert "\ufffd" not in card.search_document


def test_a_latvian_iso_8859_13_file_with_encoding(tmp_path, lv01):
    coordinator, partner = "Rīgas Valsts tehnikums (fictional)", "Liepājas Ūdens skola (fictional)"
    path = _latin_file(tmp_path, "lv.csv", "iso-8859-13", coordinator, partner)
    with pytest.raises(CommandError, match=r"row 2 \(line \d+\), byte \d+ \(0xEE\)"):
        call_command("import_project_list", str(path), stderr=io.StringIO())
    assert run(path, "--encoding", "iso-8859-13")[0] == 0
    names = list(ProjectCard.objects.get().organisations.order_by("order").values_list("name", flat=True))
    assert names[:2] == [coordinator, partner]


def test_an_unknown_encoding_is_a_clear_error(tmp_path, lv01):
    path = write_file(tmp_path, "list.csv", NEW_HEADER, [new_row(1)])
    with pytest.raises(CommandError, match="unknown encoding: 'klingon'"):
        call_command("import_project_list", str(path), "--encoding", "klingon", stderr=io.StringIO())


COMMISSION_HEADER = [
    "Programme", "Key Action", "Action Type", "Funding Year", "Project Number", "Project Title", "Topics",
    "Project Summary", "Project or accreditation status", "EU Grant award in euros", "Is Good Practice",
    "Is Success Story", "Project Website", "Results Available", "Results Platform Project Card",
    "Participating countries", "Coordinator's name", "Coordinating organisation type", "Coordinator's address",
    "Coordinator's region", "Coordinator's country", "Coordinator's website", "Start date", "End date",
] + [f"Partner {n} {part}" for n in (1, 2) for part in
     ("name", "organisation type", "address", "region", "country", "website")]


def commission_row(i, year=2021, status="Closed", country="EL", partner_country="UK", results="Yes"):
    return [
        "Erasmus+", "Cooperation among organisations and institutions",
        "Cooperation partnerships in school education (KA220-SCH)", str(year),
        f"{year}-1-LV01-KA220-SCH-{i:09d}", f"Island schools together {i}", "Inclusion; Digital skills",
        "A fictional historical partnership.", status, "250000.00", "No", "No", "", results,
        f"https://erasmus-plus.ec.europa.eu/projects/search/details/{year}-1-LV01-KA220-SCH-{i:09d}",
        ",".join(dict.fromkeys([country, partner_country, "LV"])), "Nisi Dimotiko Scholeio (fictional)", "School", "Odos 1, Naxos",
        "Notio Aigaio", country, "", f"{year}-09-01", f"{year + 2}-08-31",
        "Thames Youth Hub (fictional)", "Youth organisation", "1 River Road", "London", partner_country, "",
        "Daugavas skola (fictional)", "School", "Skolas iela 2", "Rīga", "LV", "https://daugava.example",
    ]


def test_the_commissions_headers_and_country_codes_are_understood(tmp_path, lv01):
    rows = [commission_row(1), commission_row(2, status="finalized"), commission_row(3, status="Ongoing")]
    assert run(write_file(tmp_path, "ka2.csv", COMMISSION_HEADER, rows))[0] == 0
    card = ProjectCard.objects.get(identifier="2021-1-LV01-KA220-SCH-000000001")
    assert card.call_year == 2021 and card.status == "finalised" and card.commission_status == "Closed"
    assert ProjectCard.objects.get(identifier__endswith="000000002").status == "finalised"
    assert ProjectCard.objects.get(identifier__endswith="000000003").status == "ongoing"
    coordinator = card.organisations.get(role="coordinator")
    assert coordinator.name == "Nisi Dimotiko Scholeio (fictional)" and coordinator.country == "GR"
    assert list(card.organisations.filter(role="partner").values_list("country", flat=True)) == ["GB", "LV"]
    assert card.commission_url.endswith("2021-1-LV01-KA220-SCH-000000001")
    assert card.commission_results_available is True
    assert card.imported_from == "ka2.csv" and card.imported_at is not None
    assert card.agency == lv01


def test_bom_semicolons_decimal_commas_and_dates(tmp_path, lv01):
    rows = [commission_row(1), commission_row(2)]
    rows[0][9] = "31 200,50"
    rows[0][22], rows[0][23] = "01.09.2021", "31/08/2023"
    rows[1][22] = "03/04/2021"  # day and month could be swapped
    path = tmp_path / "semicolon.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle, delimiter=";").writerows([COMMISSION_HEADER, *rows])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    code, _out, err = run(path)
    assert code == 1 and "row 3, column 'Start date': ambiguous date: '03/04/2021'" in err
    code, _out, err = run(path, "--date-order", "DMY")
    assert code == 0, err
    first = ProjectCard.objects.get(identifier__endswith="000000001")
    assert str(first.eu_grant) == "31200.50"
    assert (first.start_date, first.end_date) == (date(2021, 9, 1), date(2023, 8, 31))
    assert ProjectCard.objects.get(identifier__endswith="000000002").start_date == date(2021, 4, 3)
    assert importer.parse_date("03/04/2021", "Start date", "MDY") == date(2021, 3, 4)
    assert importer.parse_date("2021-04-03 00:00:00", "Start date") == date(2021, 4, 3)
    assert importer.parse_date("04/13/2021", "Start date") == date(2021, 4, 13)  # only one way to read it
    with pytest.raises(importer.RowError, match="not a date"):
        importer.parse_date("31/08/2023", "Start date", "MDY")
    assert importer.parse_money("1.234.567,89", "grant") == importer.parse_money("1,234,567.89", "grant")


def test_reimporting_the_same_file_writes_nothing_and_leaves_the_index_alone(tmp_path, lv01, monkeypatch):
    from eplus.results import batch_index, index

    path = write_file(tmp_path, "list.csv", NEW_HEADER, [new_row(i) for i in (1, 2, 3)])
    assert run(path)[0] == 0
    assert card_events().count() == 3  # one event per created card, not one per field or organisation
    before = (list(ProjectCard.objects.order_by("pk").values_list("updated_at", "search_document")),
              list(SearchRow.objects.order_by("pk").values()), list(FacetCount.objects.order_by("pk").values()),
              AuditEvent.objects.count())

    def no_index_change(*args, **kwargs):
        raise AssertionError("an unchanged file must not touch the search index")

    monkeypatch.setattr(batch_index, "index_cards", no_index_change)
    monkeypatch.setattr(index, "index_card", no_index_change)
    code, out, _err = run(path)
    assert code == 0 and "0 projects were created, 0 were updated, 3 unchanged" in out
    after = (list(ProjectCard.objects.order_by("pk").values_list("updated_at", "search_document")),
             list(SearchRow.objects.order_by("pk").values()), list(FacetCount.objects.order_by("pk").values()),
             AuditEvent.objects.count())
    assert after == before


def test_a_changed_row_writes_exactly_one_audit_event_and_is_reindexed(tmp_path, lv01):
    rows = [new_row(i) for i in (1, 2, 3)]
    path = write_file(tmp_path, "list.csv", NEW_HEADER, rows)
    assert run(path)[0] == 0
    events = card_events().count()
    all_events = AuditEvent.objects.count()
    rows[1][col("Project Title")] = "Welding for a blue future"
    rows[1][col("Partner 1 name")] = "Renamed partner school (fictional)"
    code, out, _err = run(write_file(tmp_path, "list.csv", NEW_HEADER, rows))
    assert code == 0 and "0 projects were created, 1 were updated, 2 unchanged" in out
    assert card_events().count() == events + 1 and AuditEvent.objects.count() == all_events + 1
    event = card_events().order_by("-id").first()
    card = ProjectCard.objects.get(identifier=rows[1][col("Project Identifier")])
    assert event.object_id == str(card.pk) and event.verb == "import-card"
    assert event.changes["title"] == ["Welding for a green future 2", "Welding for a blue future"]
    assert "Renamed partner school (fictional)" in event.changes["organisations"][1]
    assert "blue future" in card.search_document and "Renamed partner school" in card.search_document
    assert card.organisations.count() == 4  # replaced, not added to


def test_missing_optional_columns_give_one_warning_naming_them(tmp_path, lv01):
    path = write_file(tmp_path, "thin.csv", ["Project Identifier", "Project Title"],
                      [["2020-1-LV01-KA201-000001", "A thin row"]])
    code, _out, err = run(path)
    assert code == 0 and ProjectCard.objects.count() == 1
    warnings = [line for line in err.splitlines() if "Warning" in line]
    assert len(warnings) == 1
    for name in ("Call year", "Project Status", opendata.EU_GRANT_COLUMN, "Coordinating organisation name"):
        assert f"'{name}'" in warnings[0]
    assert "'Project Title'" not in warnings[0]
    # A complete file: no warning.
    assert "Warning" not in run(write_file(tmp_path, "full.csv", NEW_HEADER, [new_row(1)]))[2]


def test_imported_historical_projects_get_no_invitation_from_the_sweep(tmp_path, lv01, card):
    from eplus.results.sweep import sweep

    assert run(write_file(tmp_path, "old.csv", COMMISSION_HEADER, [commission_row(1, year=2015)]))[0] == 0
    imported = ProjectCard.objects.get(identifier__startswith="2015-")
    assert imported.end_date < date.today() and imported.published_at is not None
    later = timezone.now() + timedelta(days=3 * 365)  # past the platform card's end date too
    result = sweep(later)
    assert result["results_invitations"] == 1  # the platform's own card only
    imported.refresh_from_db()
    card.refresh_from_db()
    assert imported.submission_invited_at is None and imported.results_status == "open"
    assert card.submission_invited_at is not None
    from eplus.results.notify import coordinator_recipients

    assert coordinator_recipients(imported) == []


def test_the_batch_index_equals_the_card_by_card_index(tmp_path, lv01):
    from eplus.results import index
    from eplus.results.models import SearchPosting

    rows = [new_row(i, partners=1 + i % 3) for i in range(1, 8)]
    assert run(write_file(tmp_path, "list.csv", NEW_HEADER, rows), "--batch-size", "3")[0] == 0

    def state():
        return (sorted(SearchRow.objects.values_list("card_id", "identifier", "call_year", "action", "sector",
                                                     "status", "good_practice", "success_story", "countries")),
                sorted((f.term, f.facet, f.value, f.n) for f in FacetCount.objects.exclude(n=0)),
                sorted((p.term, bytes(p.cards)) for p in SearchPosting.objects.all()),
                sorted(ProjectCard.objects.values_list("pk", "search_document")))

    batched = state()
    assert len(batched[0]) == 7
    SearchRow.objects.all().delete()
    FacetCount.objects.all().delete()
    SearchPosting.objects.all().delete()
    for card in ProjectCard.objects.all():
        index.index_card(card)
    for got, expected in zip(state(), batched, strict=True):
        assert set(map(repr, got)) ^ set(map(repr, expected)) == set()


def test_round_trip_of_every_shared_column_with_the_commissions_values(tmp_path, client, lv01):
    """Import → export gives the same value in every column both files have (a 2021–2027 KA2 file over
    several call years, with EL/UK, Closed/finalized/Ongoing, Results Available, the card URL)."""
    rows = [commission_row(1, 2021), commission_row(2, 2022, status="finalized", results="No"),
            commission_row(3, 2023, status="Ongoing", country="LV", partner_country="EL")]
    path = write_file(tmp_path, "ka2-2021-2027.csv", COMMISSION_HEADER, rows)
    assert run(path)[0] == 0
    table = export_table(client)
    exported = {by_key(table[0], row)["identifier"]: by_key(table[0], row) for row in table[1:]}
    shared = {importer.column_key(h) for h in COMMISSION_HEADER} & {importer.column_key(h) for h in table[0]}
    assert len(shared) == len(COMMISSION_HEADER)  # every column of the file is in the export
    for row in rows:
        given = by_key(COMMISSION_HEADER, row)
        got = exported[given["identifier"]]
        mismatches = {key: (given[key], got[key]) for key in shared if given[key] != got[key]}
        assert mismatches == {}
    # The values the Commission writes its own way came back its way.
    first = exported["2021-1-LV01-KA220-SCH-000000001"]
    assert (first["status"], first["coordinator.country"], first[("partner", 1, "country")]) == ("Closed", "EL", "UK")
    assert first["countries"] == "EL,UK,LV" and first["results_available"] == "Yes"
    assert first["card_url"].startswith("https://erasmus-plus.ec.europa.eu/")
    # The public page links to the Commission's card.
    page = client.get(reverse("results:project", args=["2021-1-LV01-KA220-SCH-000000001"])).content.decode()
    assert "also on the Commission" in page and first["card_url"] in page


def test_one_index_change_per_batch_not_per_row(tmp_path, lv01, monkeypatch):
    from eplus.results import batch_index, index

    calls = []
    real = batch_index.index_cards
    monkeypatch.setattr(batch_index, "index_cards", lambda ids: calls.append(len(ids)) or real(ids))

    def per_row(*args, **kwargs):
        raise AssertionError("the import must not index card by card")

    monkeypatch.setattr(index, "index_card", per_row)
    path = write_file(tmp_path, "list.csv", NEW_HEADER, [new_row(i) for i in range(1, 6)])
    assert run(path, "--batch-size", "2")[0] == 0
    assert calls == [2, 2, 1]
    assert SearchRow.objects.count() == 5


def _index_state():
    from eplus.results.models import SearchPosting

    return (sorted(SearchRow.objects.values_list("card_id", "identifier", "call_year", "action", "sector",
                                                 "status", "good_practice", "success_story", "countries")),
            sorted((f.term, f.facet, f.value, f.n) for f in FacetCount.objects.exclude(n=0)),
            sorted((p.term, bytes(p.cards)) for p in SearchPosting.objects.all()),
            sorted(ProjectCard.objects.values_list("pk", "search_document")))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="posting lists are PostgreSQL's")
def test_deferred_posting_lists_of_a_second_import_equal_the_card_by_card_index(tmp_path, lv01):
    """A second file with new cards (their posting lists written at the end, appended) and a changed one
    (updated in its batch) gives the posting lists and counts that index_card gives card by card."""
    from eplus.results import index
    from eplus.results.models import SearchPosting

    rows = [new_row(i, partners=1 + i % 3) for i in range(1, 5)]
    assert run(write_file(tmp_path, "first.csv", NEW_HEADER, rows), "--batch-size", "2")[0] == 0
    changed = list(rows[1])
    changed[col("Project Title")] = "Zyxwv changed title"
    second = [rows[0], changed] + [new_row(i, partners=2) for i in range(5, 9)]
    assert run(write_file(tmp_path, "second.csv", NEW_HEADER, second), "--batch-size", "3")[0] == 0
    batched = _index_state()
    assert len(batched[0]) == 8 and any(t == "zyxwv" for t, _c in batched[2])
    SearchRow.objects.all().delete()
    FacetCount.objects.all().delete()
    SearchPosting.objects.all().delete()
    for card in ProjectCard.objects.order_by("pk"):
        index.index_card(card)
    for got, expected in zip(_index_state(), batched, strict=True):
        assert set(map(repr, got)) ^ set(map(repr, expected)) == set()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="posting lists are PostgreSQL's")
def test_flushing_posting_lists_merges_ids_out_of_order(tmp_path, lv01):
    """flush_postings appends new ids to a list when they come after its last id, else merges them: a
    card whose id is below ids already in the list still lands in sorted order, once."""
    import numpy as np

    from eplus.results import batch_index, index
    from eplus.results.models import SearchPosting

    rows = [new_row(i) for i in range(1, 4)]
    assert run(write_file(tmp_path, "list.csv", NEW_HEADER, rows))[0] == 0
    expected = sorted((p.term, bytes(p.cards)) for p in SearchPosting.objects.all())
    first = ProjectCard.objects.order_by("pk").first().pk
    for posting in SearchPosting.objects.all():  # take the lowest card out of every list
        ids = np.frombuffer(bytes(posting.cards), index.POSTING_DTYPE)
        kept = ids[ids != first]
        if len(kept):
            posting.cards = kept.tobytes()
            posting.save()
        else:
            posting.delete()
    assert sorted((p.term, bytes(p.cards)) for p in SearchPosting.objects.all()) != expected
    batch_index.flush_postings([first])
    assert sorted((p.term, bytes(p.cards)) for p in SearchPosting.objects.all()) == expected


def test_the_creation_event_of_an_imported_card_is_the_snapshot_diff(tmp_path, lv01):
    """The import's fast creation diff gives what diff({}, snapshot(card)) gives (secrets masked)."""
    from eplus.core.audit import diff, snapshot

    assert run(write_file(tmp_path, "list.csv", NEW_HEADER, [new_row(1, partners=2)]))[0] == 0
    card = ProjectCard.objects.get()
    expected = diff({}, {k: v for k, v in snapshot(card).items() if k not in ProjectCard.audit_exclude})
    assert importer._creation_diff(card) == expected
    event = card_events().get()
    assert {k: v for k, v in event.changes.items() if k != "organisations"} == expected
