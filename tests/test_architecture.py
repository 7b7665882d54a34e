"""The code's structure (docs/architecture.md): layers that only point down, no hidden optional imports."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "eplus"


def test_layers_point_down():
    """import-linter's layer contract (pyproject.toml) holds, imports inside functions included."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_no_import_guards_hide_a_dependency():
    """An app either depends on another (and imports it) or does not; `except ImportError` hides which."""
    guarded = [f"{path.relative_to(ROOT)}:{n}" for path in SRC.rglob("*.py")
               for n, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"except\s*\(?[^:]*\bImportError\b", line)]
    assert not guarded, guarded
