"""Helpers shared by the benchmarks: machine description, result JSON, BENCHMARKS.md sections.

    from bench._common import machine, peak_rss_mb, write_result, write_section

``write_result(name, data)`` writes bench/results/NAME.json with ``date`` (ISO 8601, UTC) and
``machine`` added; ``write_section(name, markdown)`` replaces (or appends) the part of
BENCHMARKS.md between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``.
"""

import json
import os
import platform
import re
import resource
import socket
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"

INTRO = """# Benchmarks

Speed and memory targets are measured here, never in timed unit tests. Each benchmark is a script
`bench/NAME.py` that generates its own synthetic, fictional data (seeded, nothing downloaded), runs
the real code, and writes `bench/results/NAME.json` (the figures, plus `date` and `machine`) and its
section of this file:

```sh
./run bench NAME            # e.g. ./run bench similarity
./run bench NAME --help     # options for quicker, smaller runs
```

Commit the JSON and this file after a full run. Figures depend on the machine they were measured
on (given in each section).
"""


def _read(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine():
    """CPU model, cores, RAM, Python and OS of this machine (from /proc and platform)."""
    cpu = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.lower().startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    if not cpu:
        cpu = platform.processor() or platform.machine()
    ram_gib = None
    match = re.search(r"^MemTotal:\s+(\d+)\s+kB", _read("/proc/meminfo"), re.M)
    if match:
        ram_gib = round(int(match.group(1)) / 1024 / 1024, 1)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": usable,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def machine_line(info=None):
    info = info or machine()
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, {info['os']}"
    )


def peak_rss_mb():
    """Peak resident set size of this process so far, in MiB: VmHWM, which starts again at exec — Linux keeps
    ru_maxrss across execve, so a child started by a big generator reported the generator's peak (ru_maxrss,
    KiB, only where /proc is missing)."""
    hwm = status_mb("VmHWM")
    return hwm if hwm is not None else round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb():
    return status_mb("VmRSS")


def status_mb(field, pid="self"):
    """A memory figure of /proc/PID/status (VmRSS, VmHWM = peak RSS, …) in MiB; None when unreadable."""
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", _read(f"/proc/{pid}/status"), re.M)
    return round(int(match.group(1)) / 1024, 1) if match else None


def free_port():
    """A free TCP port on 127.0.0.1 for a server the benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc_now():
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_result(name, data, results_dir=None):
    """Write results/NAME.json with ``date`` and ``machine`` added; returns the written dict."""
    out = dict(data)
    out.setdefault("date", utc_now())
    out.setdefault("machine", machine())
    directory = Path(results_dir) if results_dir else RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def write_section(name, markdown, path=None):
    """Replace the marked section NAME of BENCHMARKS.md with ``markdown`` (or append it)."""
    path = Path(path) if path else BENCHMARKS_MD
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = _read(path) or INTRO
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path
