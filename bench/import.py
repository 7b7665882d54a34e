"""``./run bench import``: the bulk-import benchmark (bench/import_bench.py; "import" is a Python keyword,
so the code lives there and this file only runs it). ``./run bench import --help`` for the options."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_bench import main  # noqa: E402

if __name__ == "__main__":
    main()
