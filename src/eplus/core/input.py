"""What no input may hold, checked at one place (core.middleware.RefuseControlCharactersMiddleware) before
it reaches a form, the database or a file: control characters (NUL, which PostgreSQL cannot store in text,
and the other C0 controls and DEL, which XML — XLSX, PDF — cannot hold) and lone surrogates (from JSON
``\\ud800`` escapes: not encodable in UTF-8). Tab, line feed and carriage return are text and pass."""

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def forbidden_character(text):
    """The first forbidden character of ``text`` as ``U+0000``, or None."""
    found = FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def first_forbidden(values):
    """(name, character) of the first forbidden character in ``values`` — pairs of (name, value) where a
    value may be a string or JSON (dicts, lists) — or None."""
    for name, value in values:
        found = _in_value(name, value)
        if found:
            return found
    return None


def _in_value(name, value):
    if isinstance(value, str):
        character = forbidden_character(value)
        return (name, character) if character else None
    if isinstance(value, dict):
        return first_forbidden((key, key) for key in value) or first_forbidden(
            (key, item) for key, item in value.items())
    if isinstance(value, list):
        return first_forbidden((name, item) for item in value)
    return None


_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits (str.isdigit() also takes "²", which int() refuses), in bigint range


def parse_id(value):
    """The primary key a form posts in a button or a hidden field (``remove=12``), or an address holds, as an
    int; None when the value is none: a lookup of None finds nothing, so the view answers 404 as for any
    unknown object instead of failing on a value the database cannot compare with its ids."""
    if isinstance(value, str) and _ID.fullmatch(value.strip()):
        return int(value)
    return None
