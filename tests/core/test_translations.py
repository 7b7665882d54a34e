"""Every user-facing string is translatable and has its Latvian translation.

The test extracts the messages from a copy of the source exactly as `./run messages` does (Django's
makemessages, merged with the committed catalogue) and fails on any message that has no Latvian
translation yet, or only a fuzzy guess, naming them.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "src" / "eplus"
CATALOGUE = SOURCE / "locale" / "lv" / "LC_MESSAGES" / "django.po"

ENTRY = re.compile(r'(?:^#, (?P<flags>.*)\n)?(?:^#.*\n)*^msgid (?P<msgid>(?:".*"\n)+)(?:^msgid_plural (?:".*"\n)+)?'
                   r'(?P<msgstrs>(?:^msgstr(?:\[\d\])? (?:".*"\n)+)+)', re.MULTILINE)


def _join(quoted):
    return "".join(re.findall(r'"(.*)"', quoted))


def untranslated(po_text):
    missing = []
    for match in ENTRY.finditer(po_text):
        msgid = _join(match.group("msgid"))
        if not msgid:  # the header
            continue
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n)+)', match.group("msgstrs"), re.MULTILINE)
        fuzzy = "fuzzy" in (match.group("flags") or "")
        if fuzzy or any(not _join(s) for s in strings):
            missing.append(msgid)
    return missing


def test_the_parser_sees_an_untranslated_message():
    sample = 'msgid ""\nmsgstr "Content-Type: text/plain"\n\n#: a.py:1\nmsgid "Hello"\nmsgstr ""\n\n' \
             '#, fuzzy\nmsgid "Bye"\nmsgstr "Atā"\n\nmsgid "Yes"\nmsgstr "Jā"\n'
    assert untranslated(sample) == ["Hello", "Bye"]


@pytest.mark.skipif(shutil.which("msgmerge") is None, reason="gettext is installed by ./run")
def test_every_message_has_a_latvian_translation(tmp_path):
    copy = tmp_path / "eplus"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    result = subprocess.run(
        [sys.executable, "-m", "eplus", "makemessages", "-l", "lv", "--no-obsolete", "--no-location"],
        cwd=copy, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"),
             "DJANGO_SETTINGS_MODULE": "eplus.config.settings"},
    )
    assert result.returncode == 0, result.stderr
    extracted = (copy / "locale" / "lv" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = untranslated(extracted)
    assert not missing, (
        f"{len(missing)} message(s) lack a Latvian translation; run `./run messages` and translate "
        f"them in {CATALOGUE.relative_to(REPO)}: {missing[:40]}"
    )
