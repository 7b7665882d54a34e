"""Coverage targets of issue 10, checked by `./run test` after a whole-suite run.

Branch coverage of the package must reach OVERALL_TARGET and every views module VIEWS_TARGET; the
figures come from the data file pytest-cov wrote (.coverage). Exits 1 with the misses listed.
"""

import io
import sys

import coverage

OVERALL_TARGET = 95.0
VIEWS_TARGET = 90.0


def is_views_module(path):
    return path.endswith("/views.py") or "/views/" in path or path.endswith("_views.py")


def main():
    cov = coverage.Coverage()
    cov.load()
    failures = []
    for path in sorted(cov.get_data().measured_files()):
        if not is_views_module(path):
            continue
        percent = cov.report(morfs=[path], file=io.StringIO())
        if percent < VIEWS_TARGET:
            failures.append(f"  {path.split('/src/')[-1]}: {percent:.1f} % (target {VIEWS_TARGET:.0f} %)")
    total = cov.report(file=io.StringIO())
    print(f"coverage (branch): {total:.1f} % overall (target {OVERALL_TARGET:.0f} %)")
    if total < OVERALL_TARGET:
        failures.insert(0, f"  overall: {total:.1f} % (target {OVERALL_TARGET:.0f} %)")
    if failures:
        print("coverage below target:\n" + "\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
