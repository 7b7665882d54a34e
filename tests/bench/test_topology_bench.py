"""The pieces of bench/topology.py that are not measurements: wrk's report read right, the hello-world
baseline answering through eplus's settings and middleware. The figures come from `./run bench topology`."""

import json
import subprocess
import sys
from pathlib import Path

from bench import topology

ROOT = Path(__file__).resolve().parents[2]

WRK_REPORT = """Running 15s test @ http://127.0.0.1:40123/results/p/2022-1-DE01-KA220-SCH-000000042/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.02ms   12.31ms 212.44ms   88.10%
    Req/Sec     0.91k   120.55     1.20k    71.00%
  Latency Distribution
     50%   15.10ms
     75%   20.02ms
     90%   28.71ms
     99%    1.02s
  27310 requests in 15.02s, 1.02GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1818.29
Transfer/sec:     69.71MB
"""


def test_wrk_report_is_read_with_its_units():
    figures = topology.parse_wrk(WRK_REPORT)
    assert figures == {"rps": 1818.3, "requests": 27310, "non_2xx": 4, "socket_errors": 3, "p99_ms": 1020.0}
    clean = WRK_REPORT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "").replace(
        "  Non-2xx or 3xx responses: 4\n", "").replace("1.02s", "812.00us")
    assert topology.parse_wrk(clean) == {"rps": 1818.3, "requests": 27310, "non_2xx": 0, "socket_errors": 0,
                                         "p99_ms": 0.8}


def test_the_hello_baseline_answers_a_fixed_string_through_eplus_middleware(tmp_path):
    script = """
import io, json, sys
from wsgiref.util import setup_testing_defaults
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/src"]
from bench.hello_wsgi import application
environ = {}
setup_testing_defaults(environ)
environ["HTTP_HOST"] = "127.0.0.1"
seen = {}
body = b"".join(application(environ, lambda status, headers: seen.update(status=status, headers=dict(headers))))
print(json.dumps({"status": seen["status"], "body": body.decode(), "csp": "Content-Security-Policy" in seen["headers"]}))
"""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/hello.sqlite3",
           "ALLOWED_HOSTS": "127.0.0.1", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer == {"status": "200 OK", "body": "Hello, world", "csp": True}
