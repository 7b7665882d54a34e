"""Benchmark: eplus as deployed — ``./run serve`` (gunicorn, 2 workers, production settings, Redis) and
``./run worker`` — at 300 000 public projects.

    ./run bench topology                 # the full run (generates eplus_bench once, like ./run bench search)
    ./run bench topology --reuse         # on the database generated before
    ./run bench topology --projects 20000 --database eplus_bench_small --applications 2000 --no-write

Measures, on this machine, with the real code:

- ``full_csv_build_seconds`` / ``full_xlsx_build_seconds`` and their ``…_peak_rss_mb``: the task's work
  (eplus.results.opendata_files.build_files) for one format, each in a fresh process;
- ``full_csv_seconds`` / ``full_xlsx_seconds``: GET of the whole list through ``./run serve`` (the built
  file, local storage); ``filtered_csv_seconds``: a filter matching about 30 000 projects (call_year=2022),
  computed while it is sent; ``serve_peak_rss_mb``: the highest peak RSS (VmHWM) of the two gunicorn
  workers after each download;
- with wrk, 32 connections for ``--duration`` seconds each: ``page_rps`` (one project page again and
  again), ``pages_rps`` (5 000 different project pages in random order, each thread from its own
  place in the list, the page cache empty at the start), ``search_rps`` (the broad search
  ``q=education``), and ``hello_rps``: a Django view returning a fixed string, in a WSGI application with
  the same settings and middleware (bench/hello_wsgi.py), served by gunicorn with the same worker count
  and configuration in the same run; ``…_ratio`` = our figure / hello;
- ``similarity_task_seconds``: the duplicate and originality check of a deadline with ``--applications``
  submitted applications (texts of bench/similarity.py) through the task queue: the officer's start
  (evaluation.findings.start_similarity_run) until ``./run worker`` has stored the report.
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from bench._common import (  # noqa: E402
    free_port,
    machine_line,
    peak_rss_mb,
    status_mb,
    write_result,
    write_section,
)

TARGETS = {"full_csv_seconds": 5.0, "filtered_csv_seconds": 20.0, "peak_rss_mb": 200.0,
           "page_ratio": 0.25, "pages_ratio": 0.10}
REDIS_BENCH_URL = "redis://127.0.0.1:6379/13"
VAR = ROOT / "var" / "bench-topology"
HTTPS = {"X-Forwarded-Proto": "https"}  # behind the TLS proxy, as deployed


def server_env(database_url, port=None, **extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({
        "EPLUS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60), "WEB_CONCURRENCY": "2",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SITE_URL": "https://127.0.0.1", "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_BENCH_URL, "TASKS_BACKEND": "database", "MEDIA_ROOT": str(VAR / f"media-{database_url.rsplit('/', 1)[-1]}"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "LOG_LEVEL": "WARNING",
        # wrk sends everything from one address, which the per-address limits would cut off; the limits
        # are still counted (their Redis round trip is part of what is measured).
        "RATE_LIMIT_SEARCH": "1000000000/60", "RATE_LIMIT_API": "1000000000/60", "RATE_LIMIT_OPENDATA": "1000000000/60",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
    })
    if port:
        env["PORT"] = str(port)
    env.update(extra)
    return env


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_BENCH_URL).flushdb()


# --- processes -------------------------------------------------------------------------------------

def child(kind, database_url, *extra, env=None):
    """One measurement in a fresh process (its peak RSS is its own); returns its JSON."""
    out = subprocess.run([sys.executable, __file__, f"--child={kind}", f"--database-url={database_url}", *extra],
                         capture_output=True, text=True, check=False, timeout=3600, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_build(database_url, file_format):
    from bench.search import setup_django

    setup_django(database_url)
    from eplus.results import opendata_files
    from eplus.results.models import OpenDataFile

    started = time.perf_counter()
    built = opendata_files.build_files(formats=(file_format,))
    seconds = time.perf_counter() - started
    if built is None:
        raise SystemExit("another build holds the lock")
    row = OpenDataFile.objects.get(format=file_format)
    return {"seconds": round(seconds, 1), "peak_rss_mb": peak_rss_mb(), "rows": row.rows, "bytes": row.size}


class Server:
    def __init__(self, name, args, env, log_dir):
        self.name, self.args, self.env = name, args, env
        self.log_path = log_dir / f"{name}.log"
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def worker_pids(self):
        """The gunicorn workers (children of the master)."""
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def peak_rss_mb(self):
        peaks = [status_mb("VmHWM", pid) for pid in self.worker_pids() + [self.process.pid]]
        return max((p for p in peaks if p is not None), default=None)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def get(url, headers=HTTPS, timeout=120):
    """GET ``url`` to the end; returns (status, bytes, seconds, body head)."""
    started = time.perf_counter()
    request = urllib.request.Request(url, headers=headers)
    size, head = 0, b""
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = response.status
        while block := response.read(1 << 20):
            if len(head) < 4096:
                head += block[:4096]
            size += len(block)
    return status, size, time.perf_counter() - started, head


def wait_until_up(url, server, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.log_path.read_text()[-3000:]}")
        try:
            if get(url, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{server.name} did not answer {url} within {seconds} s")


def wait_for_search_engine(base, seconds=300):
    """Each worker loads the facet engine in the background as it starts (gunicorn post_worker_init):
    wait until broad searches are fast on both before measuring."""
    deadline = time.monotonic() + seconds
    fast = 0
    while time.monotonic() < deadline and fast < 6:
        _status, _size, took, _head = get(f"{base}/results/?q=education&page={random.randint(2, 400)}")
        fast = fast + 1 if took < 0.3 else 0
        time.sleep(0.2)


# --- wrk ---------------------------------------------------------------------------------------------

WRK_PAGES_LUA = """
local paths = {}
for line in io.lines(os.getenv("EPLUS_BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 1
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("start", threads)
end
function init(args)
  -- each thread starts at its own place in the shuffled list
  counter = 1 + math.floor((start - 1) * #paths / 2)
end
function request()
  local path = paths[counter]
  counter = counter % #paths + 1
  return wrk.format("GET", path, {["X-Forwarded-Proto"] = "https"})
end
"""


def ensure_wrk():
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True)


def wrk(url, duration, connections, script=None, env=None):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency"]
    if script:
        args += ["-s", script]
    else:
        args += ["-H", "X-Forwarded-Proto: https"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True, env=env)
    return parse_wrk(out.stdout)


def parse_wrk(text):
    """Requests per second, request count, non-2xx/3xx answers, socket errors and p99 from wrk's report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    p99_ms = None
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return {"rps": round(rps, 1), "requests": requests, "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
            "p99_ms": round(p99_ms, 1) if p99_ms is not None else None}


# --- the similarity check through the queue ----------------------------------------------------------

def child_similarity(database_url, applications):
    """Make a deadline with ``applications`` submitted applications, start the check as an officer
    would, and time it until the task worker (./run worker) has stored the report."""
    from bench.search import ensure_database, migrate, setup_django

    ensure_database(database_url, fresh=True)
    setup_django(database_url)
    migrate()
    from django.core.management import call_command

    call_command("load_programme", verbosity=0)
    made = _similarity_data(applications)
    worker = Server("similarity-worker", [str(ROOT / "run"), "worker"], server_env(database_url), VAR).start()
    try:
        from eplus.evaluation.findings import start_similarity_run
        from eplus.evaluation.models import SimilarityRun

        started = time.perf_counter()
        run, _started = start_similarity_run(made["deadline"], made["officer"])
        while True:
            run.refresh_from_db()
            if run.state in (SimilarityRun.State.DONE, SimilarityRun.State.FAILED):
                break
            if worker.process.poll() is not None:
                raise SystemExit(f"the worker exited:\n{worker.log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        if run.state != SimilarityRun.State.DONE:
            raise SystemExit(f"the check failed: {run.error}")
        worker_peak = status_mb("VmHWM", _python_pid(worker))
    finally:
        worker.stop()
    return {"similarity_task_seconds": round(seconds, 1), "applications": run.applications,
            "pairs_found": run.pairs_found, "worker_peak_rss_mb": worker_peak}


def _python_pid(server):
    pids = [server.process.pid] + server.worker_pids()
    return pids[-1]


def _similarity_data(n):
    """Applications of one call with submitted snapshots whose texts come from bench/similarity.py's
    generator (planted near-duplicates included), bulk-created; the cases the check reads."""
    import hashlib
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench import similarity as sim
    from eplus.applications.models import Application, Submission
    from eplus.evaluation.models import Case
    from eplus.organisations.models import Organisation
    from eplus.programme.models import Agency, Call, Country

    options = SimpleNamespace(applications=n, reference=0, words=2500, vocabulary=4000,
                              pairs=min(300, n // 20), clusters=min(50, n // 100), cluster_size=4,
                              reference_copies=0, seed=2026)
    texts, _reference, _groups = sim.generate(options)
    call = Call.objects.filter(action__code="KA220").select_related("action").order_by("deadline").first()
    agency = Agency.objects.get(code="LV01")
    officer = get_user_model().objects.create_user(email="bench-officer@agency.example", password=None)
    applicant = Organisation.objects.create(
        oid="E99999999", legal_name="Bench applicant school", legal_form="school", organisation_type="school",
        date_established="2000-01-01", country=Country.objects.get(code="LV"), street="1 Bench Street",
        postcode="LV-1000", city="Bench town", registration_number="BENCH-1", email="school@bench.example",
        phone="+000 0000", contact_name="Bench Contact", contact_email="contact@bench.example")
    now = timezone.now()
    apps = Application.objects.bulk_create([
        Application(call=call, action=call.action, sector="SCH", agency=agency, applicant=applicant,
                    number=f"BENCH-{i:06d}", status="submitted", title=f"Bench application {i}", submitted_at=now)
        for i in range(n)], batch_size=2000)
    subs = []
    for app, text in zip(apps, texts, strict=True):
        snapshot = {"title": app.title, "sections": {"context": {"data": {"text": text}}}}
        subs.append(Submission(application=app, number=app.number, submitted_at=now, snapshot=snapshot,
                               sha256=hashlib.sha256(text.encode()).hexdigest()))
    subs = Submission.objects.bulk_create(subs, batch_size=500)
    Case.objects.bulk_create([Case(application=app, agency=agency, call=call, sector="SCH", submission=sub)
                              for app, sub in zip(apps, subs, strict=True)], batch_size=2000)
    return {"deadline": call.deadline, "officer": officer}


# --- the run ---------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=300_000)
    parser.add_argument("--database", default="eplus_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database if it has the projects")
    parser.add_argument("--duration", type=int, default=15, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pages", type=int, default=5000, help="different project pages of pages_rps")
    parser.add_argument("--applications", type=int, default=20000, help="of similarity_task_seconds (0: skip)")
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--section-only", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from bench._common import RESULTS_DIR
    from bench.search import database_url

    if args.section_only:
        write_section("topology", section(json.loads((RESULTS_DIR / "topology.json").read_text())))
        return
    if args.child == "build":
        print(json.dumps(child_build(args.database_url, args.format)))
        return
    if args.child == "similarity":
        print(json.dumps(child_similarity(args.database_url, args.applications)))
        return

    VAR.mkdir(parents=True, exist_ok=True)
    url = database_url(args.database)
    projects = prepare_database(url, args)
    flush_redis()
    child_env = server_env(url)
    builds = {fmt: child("build", url, f"--format={fmt}", env=child_env) for fmt in ("csv", "xlsx")}
    print(f"builds: {builds}", file=sys.stderr)

    ensure_wrk()
    port, hello_port = free_port(), free_port()
    web = Server("web", [str(ROOT / "run"), "serve"], server_env(url, port), VAR).start()
    hello = Server("hello", [str(ROOT / ".venv" / "bin" / "gunicorn"), "bench.hello_wsgi",
                             "--config", "python:bench.hello_gunicorn", "--bind", f"127.0.0.1:{hello_port}",
                             "--workers", "2", "--access-logfile", "-"], server_env(url), VAR).start()
    base, hello_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hello_port}"
    try:
        wait_until_up(f"{base}/", web)
        wait_until_up(f"{hello_base}/", hello)
        wait_for_search_engine(base)
        downloads = measure_downloads(base, web)
        print(f"downloads: {downloads}", file=sys.stderr)
        throughput = measure_throughput(base, hello_base, args)
        print(f"throughput: {throughput}", file=sys.stderr)
        serve_peak = web.peak_rss_mb()
        timeouts = web.log_path.read_text(errors="replace").count("WORKER TIMEOUT")
    finally:
        web.stop()
        hello.stop()
    similarity = (child("similarity", database_url(args.database + "_similarity"),
                        f"--applications={args.applications}") if args.applications else {})
    print(f"similarity: {similarity}", file=sys.stderr)

    hello_rps = throughput["hello"]["rps"]
    data = {
        "projects": projects,
        "full_csv_seconds": downloads["full_csv"]["seconds"],
        "full_xlsx_seconds": downloads["full_xlsx"]["seconds"],
        "filtered_csv_seconds": downloads["filtered_csv"]["seconds"],
        "full_csv_build_seconds": builds["csv"]["seconds"],
        "full_xlsx_build_seconds": builds["xlsx"]["seconds"],
        "full_csv_build_peak_rss_mb": builds["csv"]["peak_rss_mb"],
        "full_xlsx_build_peak_rss_mb": builds["xlsx"]["peak_rss_mb"],
        "full_csv_peak_rss_mb": downloads["full_csv"]["peak_rss_mb"],
        "full_xlsx_peak_rss_mb": downloads["full_xlsx"]["peak_rss_mb"],
        "filtered_csv_peak_rss_mb": downloads["filtered_csv"]["peak_rss_mb"],
        "serve_peak_rss_mb": serve_peak,
        "worker_timeouts": timeouts,
        "hello_rps": hello_rps,
        "page_rps": throughput["page"]["rps"],
        "pages_rps": throughput["pages"]["rps"],
        "search_rps": throughput["search"]["rps"],
        "page_ratio": round(throughput["page"]["rps"] / hello_rps, 3),
        "pages_ratio": round(throughput["pages"]["rps"] / hello_rps, 3),
        "search_ratio": round(throughput["search"]["rps"] / hello_rps, 3),
        "similarity_task_seconds": similarity.get("similarity_task_seconds"),
        "extra": {"wrk": throughput, "downloads": downloads, "builds": builds, "similarity": similarity,
                  "duration_seconds": args.duration, "connections": args.connections, "pages": args.pages},
        "targets": TARGETS,
    }
    print(json.dumps(data, indent=2), file=sys.stderr)
    if args.no_write:
        return
    write_section("topology", section(write_result("topology", data)))


def prepare_database(url, args):
    from bench.search import ensure_database, generate, migrate, setup_django

    ensure_database(url, fresh=False)
    setup_django(url)
    migrate()
    from django.db import connection

    from eplus.results.models import ProjectCard, SearchRow

    if not (args.reuse and ProjectCard.objects.count() >= args.projects):
        print(f"generating {args.projects} projects in {args.database} …", file=sys.stderr)
        generate(connection, args.projects, args.seed)
    connection.close()
    return SearchRow.objects.count()


def measure_downloads(base, web):
    out = {}
    for name, path in (("full_csv", "/opendata/projects.csv"), ("full_xlsx", "/opendata/projects.xlsx"),
                       ("filtered_csv", "/opendata/projects.csv?call_year=2022")):
        status, size, seconds, head = get(base + path, timeout=600)
        assert status == 200, (path, status)
        out[name] = {"seconds": round(seconds, 2), "bytes": size, "peak_rss_mb": web.peak_rss_mb()}
        if name.endswith("csv"):
            out[name]["header"] = head.split(b"\r\n", 1)[0][:80].decode("utf-8", "replace")
    return out


def measure_throughput(base, hello_base, args):
    from eplus.results.models import SearchRow

    rng = random.Random(args.seed)
    identifiers = list(SearchRow.objects.values_list("identifier", flat=True))
    chosen = rng.sample(identifiers, min(args.pages, len(identifiers)))
    paths_file = VAR / "pages.txt"
    paths_file.write_text("".join(f"/results/p/{ident}/\n" for ident in chosen))
    lua = VAR / "pages.lua"
    lua.write_text(WRK_PAGES_LUA)
    one = f"{base}/results/p/{chosen[0]}/"
    assert get(one)[0] == 200
    results = {}
    results["hello"] = wrk(f"{hello_base}/", args.duration, args.connections)
    results["page"] = wrk(one, args.duration, args.connections)
    flush_redis_pages()
    results["pages"] = wrk(base, args.duration, args.connections, script=str(lua),
                           env={**os.environ, "EPLUS_BENCH_PATHS": str(paths_file)})
    results["search"] = wrk(f"{base}/results/?q=education", args.duration, args.connections)
    return results


def flush_redis_pages():
    """Empty the public page cache (the pages of pages_rps are rendered cold at first)."""
    import redis

    client = redis.Redis.from_url(REDIS_BENCH_URL)
    for key in client.scan_iter(match="*results:[0-9]*", count=1000):  # bodies and whole pages (views/_pages.py)
        client.delete(key)


def section(r):
    def mark(value, target, higher=False):
        if value is None:
            return "—"
        ok = value >= target if higher else value <= target
        return "✅" if ok else "❌"

    t = r["targets"]
    x = r["extra"]
    sim = x.get("similarity") or {}
    return f"""## Production topology (`./run bench topology`)

`./run serve` (gunicorn, 2 sync workers, `EPLUS_ENV=production`, Redis cache, database task queue,
local file storage) on `eplus_bench` with {r['projects']:,} public projects (bench/search.py's
generator). Run on {r['date'][:10]}: {machine_line(r['machine'])}.

| measure | value | target |
|---|---|---|
| whole list as CSV, served (`full_csv_seconds`) | {r['full_csv_seconds']} s, {x['downloads']['full_csv']['bytes'] / 1e6:.0f} MB | ≤ {t['full_csv_seconds']} s {mark(r['full_csv_seconds'], t['full_csv_seconds'])} |
| whole list as XLSX, served | {r['full_xlsx_seconds']} s, {x['downloads']['full_xlsx']['bytes'] / 1e6:.0f} MB | ≤ {t['full_csv_seconds']} s {mark(r['full_xlsx_seconds'], t['full_csv_seconds'])} |
| filtered CSV, ~30 000 projects (`filtered_csv_seconds`) | {r['filtered_csv_seconds']} s | ≤ {t['filtered_csv_seconds']} s {mark(r['filtered_csv_seconds'], t['filtered_csv_seconds'])} |
| CSV build by the task (`full_csv_build_seconds`), peak RSS | {r['full_csv_build_seconds']} s, {r['full_csv_build_peak_rss_mb']} MB | ≤ {t['peak_rss_mb']:.0f} MB {mark(r['full_csv_build_peak_rss_mb'], t['peak_rss_mb'])} |
| XLSX build by the task, peak RSS | {r['full_xlsx_build_seconds']} s, {r['full_xlsx_build_peak_rss_mb']} MB | ≤ {t['peak_rss_mb']:.0f} MB {mark(r['full_xlsx_build_peak_rss_mb'], t['peak_rss_mb'])} |
| web workers' peak RSS after the downloads (full CSV / XLSX / filtered) | {r['full_csv_peak_rss_mb']} / {r['full_xlsx_peak_rss_mb']} / {r['filtered_csv_peak_rss_mb']} MB | ≤ {t['peak_rss_mb']:.0f} MB {mark(r['filtered_csv_peak_rss_mb'], t['peak_rss_mb'])} |
| web workers' peak RSS at the end of the run | {r['serve_peak_rss_mb']} MB | |
| gunicorn worker timeouts during the run | {r['worker_timeouts']} | 0 {mark(r['worker_timeouts'], 0)} |
| `hello_rps` (fixed string, same settings and gunicorn) | {r['hello_rps']:.0f} req/s | |
| `page_rps` (one project page) | {r['page_rps']:.0f} req/s ({r['page_ratio']:.1%} of hello) | ≥ {t['page_ratio']:.0%} {mark(r['page_ratio'], t['page_ratio'], True)} |
| `pages_rps` ({x['pages']:,} different project pages) | {r['pages_rps']:.0f} req/s ({r['pages_ratio']:.1%} of hello) | ≥ {t['pages_ratio']:.0%} {mark(r['pages_ratio'], t['pages_ratio'], True)} |
| `search_rps` (broad search `q=education`) | {r['search_rps']:.0f} req/s ({r['search_ratio']:.1%} of hello) | |
| `similarity_task_seconds` ({sim.get('applications', '—')} applications, through `./run worker`) | {r['similarity_task_seconds']} s | |

wrk: 2 threads, {x['connections']} connections, {x['duration_seconds']} s per measure, header
`X-Forwarded-Proto: https` (behind the TLS proxy); p99 latency page / pages / search:
{x['wrk']['page']['p99_ms']} / {x['wrk']['pages']['p99_ms']} / {x['wrk']['search']['p99_ms']} ms; non-2xx
answers {x['wrk']['page']['non_2xx'] + x['wrk']['pages']['non_2xx'] + x['wrk']['search']['non_2xx']}.
`hello_rps` is a Django view returning a fixed string through the same settings and middleware
(`bench/hello_wsgi.py`), served by gunicorn with the same worker count and configuration, in the same
run. The whole-list downloads are the files built by the task (`results/opendata_files.py`); the
filtered one is computed while it is sent. The pages of `pages_rps` start with an empty page cache.
"""


if __name__ == "__main__":
    main()
