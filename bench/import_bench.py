"""Benchmark: the bulk import of a Commission project list into a platform with 300 000 public projects.

    ./run bench import                                   # the full run (≥ 40 000 rows, ≥ 90 MB, 300 000 projects)
    ./run bench import --reuse                           # reuse the generated database (its 300 000 projects)
    ./run bench import --copy-from eplus_bench              # start from a copy of bench search's database
    ./run bench import --rows 2000 --projects 5000 --min-mb 4 --database eplus_bench_import_small --no-write

Generates (seeded, fictional) a project list in the Commission's format — the 2021+ columns, 38
``Partner n …`` groups (252 columns), UTF-8 with a BOM, semicolons, EL / UK country codes, the
Commission's statuses (``Closed``, ``Ongoing``) and card URLs — of ``--rows`` rows padded to at least
``--min-mb`` megabytes; loads ``--projects`` public projects with bench/search.py's generator (COPY +
the SQL index rebuild) into a dedicated PostgreSQL database; then, each in a fresh process (so the peak
RSS is the import's own):

- ``seconds`` / ``rows_per_second`` / ``peak_rss_mb``: ``import_project_list FILE`` (validation, then
  the batches);
- ``reimport_seconds``: the same file again (nothing changed: nothing is written);
- ``round_trip_mismatches``: the cells that differ between the file and the open-data export rows of the
  imported projects, in every column both have.

Targets (2-core machine): ≤ 120 s, peak RSS ≤ 300 MB, re-import ≤ 60 s, 0 mismatches.
"""

import argparse
import csv
import io
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from bench._common import machine_line, peak_rss_mb, status_mb, write_result, write_section  # noqa: E402
from bench.search import Words, database_url, ensure_database, generate, migrate, setup_django  # noqa: E402

TARGETS = {"seconds": 120.0, "peak_rss_mb": 300.0, "reimport_seconds": 60.0, "round_trip_mismatches": 0}
PARTNER_GROUPS = 38
COUNTRIES = "DE FR IT ES PL RO NL BE PT CZ EL HU SE AT BG DK FI SK IE HR LT SI LV EE UK NO TR".split()
TYPES = ["School", "Vocational education and training provider", "Higher education institution",
         "Non-governmental organisation", "Youth organisation", "Public body", "Enterprise"]


def header():
    from eplus.results import opendata

    return [h for h, _k in opendata.BASE_COLUMNS] + [
        p.format(n=n) for n in range(1, PARTNER_GROUPS + 1) for p, _k in opendata.PARTNER_COLUMNS]


def make_file(path, rows, min_mb, seed):
    """Write the project list; returns its size in MB."""
    rng = random.Random(seed)
    words = Words(rng)
    columns = header()
    per_row = int(min_mb * 1024 * 1024 / rows) + 1
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(columns)
        for i in range(1, rows + 1):
            year = rng.choice(range(2014, 2026))
            action = "KA220" if year >= 2021 else "KA201"
            sector = rng.choice(["SCH", "VET", "ADU", "YOU", "HED"])
            country = rng.choice(COUNTRIES)
            identifier = f"{year}-2-{country}01-{action}-{sector}-{i:09d}"
            partners = [rng.choice(COUNTRIES) for _ in range(rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 20, 38]))]
            orgs = [(" ".join(words.some(2)).title() + " School (fictional)", rng.choice(TYPES),
                     f"{rng.randint(1, 99)} {words.some(1)[0].title()} iela", f"Region {words.some(1)[0]}", c,
                     f"https://org{i}-{n}.example" if rng.random() < 0.3 else "")
                    for n, c in enumerate([country] + partners)]
            status = "Ongoing" if year >= 2023 else rng.choice(["Closed", "Closed", "finalized", "Finalised"])
            row = ["Erasmus+", "Cooperation among organisations and institutions",
                   f"Cooperation partnerships ({action}-{sector})", str(year), identifier,
                   " ".join(words.some(rng.randint(3, 8))).capitalize() + f" {i}",
                   "; ".join(rng.sample(["Green skills", "Digital transformation", "Inclusion", "Languages"], 2)),
                   "", status, f"{rng.choice([60000, 120000, 250000, 400000])}.00",
                   "Yes" if rng.random() < 0.05 else "No", "No",
                   f"https://project{i}.example" if rng.random() < 0.5 else "",
                   "Yes" if status != "Ongoing" and rng.random() < 0.4 else "No",
                   f"https://erasmus-plus.ec.europa.eu/projects/search/details/{identifier}",
                   ",".join(dict.fromkeys(o[4] for o in orgs)), *orgs[0], f"{year}-09-01", f"{year + 2}-08-31"]
            for n in range(PARTNER_GROUPS):
                row += list(orgs[n + 1]) if n + 1 < len(orgs) else [""] * 6
            size = sum(len(v) for v in row) + len(row)
            summary = []
            while size < per_row:
                chunk = words.some(20)
                summary += chunk
                size += sum(len(w) + 1 for w in chunk)
            row[7] = " ".join(summary).capitalize() + "."
            writer.writerow(row)
    return round(path.stat().st_size / 1024 / 1024, 1)


def child(kind, url, path):
    out = subprocess.run([sys.executable, __file__, f"--child={kind}", f"--database-url={url}", f"--file={path}"],
                         capture_output=True, text=True, check=False, timeout=7200)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_import(url, path):
    setup_django(url)
    from django.core.management import call_command

    from eplus.core.models import AuditEvent

    events = AuditEvent.objects.count()
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        call_command("import_project_list", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        if exc.code:
            raise SystemExit(f"import exited {exc.code}: {out.getvalue()[-1000:]} {err.getvalue()[-2000:]}") from exc
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries the parent's peak into a child's ru_maxrss across fork and exec, so
    # after a generation in the parent it reported the generator's 800 MB; VmHWM is this process's own.
    return {"seconds": round(seconds, 1), "peak_rss_mb": status_mb("VmHWM") or peak_rss_mb(), "summary": out.getvalue().strip(),
            "audit_events": AuditEvent.objects.count() - events}


def child_verify(url, path):
    """Cells that differ between the file and the export rows of its projects (shared columns)."""
    setup_django(url)
    from django.db.models import Exists, OuterRef

    from eplus.results import importer, opendata, public
    from eplus.results.models import ProjectCard

    qs = (ProjectCard.objects.filter(imported_from=Path(path).name).defer("search_document")
          .annotate(results_available=Exists(public.public_results_qs().filter(card=OuterRef("pk")))))
    groups = opendata.partner_groups_for(qs)
    exported_header = opendata.header(groups)
    exported = {}
    chunk = []
    for card in qs.order_by("pk").iterator(chunk_size=opendata.CHUNK_SIZE):
        chunk.append(card)
        if len(chunk) >= opendata.CHUNK_SIZE:
            for row in opendata._chunk_rows(chunk, groups, None):
                values = dict(zip(map(importer.column_key, exported_header), row, strict=True))
                exported[values["identifier"]] = values
            chunk = []
    for row in opendata._chunk_rows(chunk, groups, None):
        values = dict(zip(map(importer.column_key, exported_header), row, strict=True))
        exported[values["identifier"]] = values
    mismatches = cells = 0
    rows = importer.read_rows(path)
    keys = [importer.column_key(h) for h in next(rows)]
    for row in rows:
        given = dict(zip(keys, (importer._text(v) for v in row), strict=True))
        got = exported.get(given["identifier"])
        for key, value in given.items():
            if got is None:
                mismatches += 1
            elif key in got:
                cells += 1
                mismatches += got[key] != value
            elif value:
                mismatches += 1  # a value the export has no column for
    return {"round_trip_mismatches": mismatches, "round_trip_cells": cells}


def copy_database(url, source):
    """The benchmark's database as a fresh copy of ``source`` (CREATE DATABASE … TEMPLATE: a file copy,
    a minute instead of generating 300 000 projects again; nobody may be connected to ``source``)."""
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    started = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    print(f"copied {source} to {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def section(data):
    return f"""## Import of a Commission project list (`./run bench import`)

{data['rows']} rows, {data['megabytes']} MB ({PARTNER_GROUPS} partner groups, semicolons, BOM) into a database with
{data['projects']} public projects, on {machine_line(data.get('machine'))}:

| figure | value | target |
|---|---|---|
| import seconds | {data['seconds']} | ≤ {TARGETS['seconds']:.0f} |
| rows per second | {data['rows_per_second']} | |
| peak RSS (MB) | {data['peak_rss_mb']} | ≤ {TARGETS['peak_rss_mb']:.0f} |
| re-import seconds (nothing changed) | {data['reimport_seconds']} | ≤ {TARGETS['reimport_seconds']:.0f} |
| round-trip mismatches | {data['round_trip_mismatches']} of {data['round_trip_cells']} cells | 0 |
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--min-mb", type=float, default=90.0)
    parser.add_argument("--projects", type=int, default=300_000)
    parser.add_argument("--database", default="eplus_bench_import")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it has the projects")
    parser.add_argument("--copy-from", default=None, metavar="DATABASE",
                        help="make the database a copy of this one (e.g. eplus_bench, generated by ./run bench "
                             "search with the same 300 000 projects) instead of generating the projects again")
    parser.add_argument("--seed", type=int, default=20261)
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = args.database_url or database_url(args.database)
    if args.child:
        print(json.dumps({"import": child_import, "verify": child_verify}[args.child](url, args.file)))
        return

    if args.copy_from:
        copy_database(url, args.copy_from)
        args.reuse = True
    else:
        ensure_database(url, fresh=not args.reuse)
    setup_django(url)
    migrate()
    from django.db import connection

    from eplus.results.models import ProjectCard

    if args.reuse and ProjectCard.objects.filter(imported_at__isnull=True).count() >= args.projects:
        ProjectCard.objects.filter(imported_at__isnull=False).delete()
        print(f"reusing {args.database}", file=sys.stderr)
    else:
        print(f"generating {args.projects} projects in {args.database} …", file=sys.stderr)
        generate(connection, args.projects, args.seed)
    projects = ProjectCard.objects.filter(published_at__isnull=False).count()
    connection.close()
    path = ROOT / "var" / "bench-import-project-list.csv"
    path.parent.mkdir(exist_ok=True)
    megabytes = make_file(path, args.rows, args.min_mb, args.seed)
    print(f"file: {args.rows} rows, {megabytes} MB", file=sys.stderr)
    first = child("import", url, path)
    print(f"import: {first}", file=sys.stderr)
    again = child("import", url, path)
    print(f"re-import: {again}", file=sys.stderr)
    verify = child("verify", url, path)
    data = {
        "rows": args.rows, "megabytes": megabytes, "projects": projects, "seconds": first["seconds"],
        "rows_per_second": round(args.rows / max(first["seconds"], 1e-6)), "peak_rss_mb": first["peak_rss_mb"],
        "reimport_seconds": again["seconds"], "reimport_audit_events": again["audit_events"],
        "reimport_peak_rss_mb": again["peak_rss_mb"], **verify, "targets": TARGETS,
    }
    print(json.dumps(data, indent=2))
    if not args.no_write:
        written = write_result("import", data)
        write_section("import", section(written))


if __name__ == "__main__":
    main()
