"""The folded form of search text: accents, case and compatibility forms removed, the same way when a card
is indexed and when a query is typed — so ``Rigas`` finds ``Rīgas``, ``EMAJOE`` finds ``Emajõe`` and
``Lodz`` finds ``Łódź``.

Why these steps and not ``unaccent``: the bulk rebuild of the index runs in SQL
(eplus.results.index.REBUILD_SQL) and must fold exactly as Python does when one card is indexed, without
a database extension. Both sides do the same four steps, all built into PostgreSQL (≥ 13) and Python:
Unicode NFKD (letters and their accents apart, ligatures and odd spaces made plain), the combining marks
(the accents) dropped, lower case, then a few letters Unicode does not decompose but people type without
their stroke (ł → l, ø → o, æ → ae …). Text that is plain ASCII is only lower-cased (the fast path on both
sides: most of the work of a rebuild).

Known difference: on a PostgreSQL database whose LC_CTYPE is plain ``C``, lower() leaves non-ASCII
capitals that have no accent to drop (Greek, Cyrillic) as they are; use a UTF-8 locale (C.UTF-8).
"""

import re
import unicodedata

# The Unicode blocks of combining diacritical marks.
COMBINING = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
_COMBINING = re.compile(COMBINING)
# After lower case: letters with a stroke or ligatures, which NFKD leaves alone (the capitals too, for a
# database whose lower() does not know them); the final sigma as the plain sigma (Python's lower() writes
# ς at a word's end, PostgreSQL's σ).
MULTIPLE = (("æ", "ae"), ("Æ", "ae"), ("œ", "oe"), ("Œ", "oe"), ("ß", "ss"), ("ẞ", "ss"))
SINGLE = {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h", "ı": "i",
          "ŧ": "t", "Ŧ": "t", "ŀ": "l", "Ŀ": "l", "ς": "σ"}
_SINGLE = str.maketrans(SINGLE)


def fold(text):
    """``text`` accent- and case-folded (see the module docstring); "" for None."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()
    for char, folded in MULTIPLE:
        text = text.replace(char, folded)
    return text.translate(_SINGLE)


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def sql_fold(expression):
    """An SQL expression (PostgreSQL) that folds ``expression`` exactly as :func:`fold` does."""
    folded = f"lower(regexp_replace(normalize({expression}, NFKD), {_literal(COMBINING)}, '', 'g'))"
    for char, replacement in MULTIPLE:
        folded = f"replace({folded}, {_literal(char)}, {_literal(replacement)})"
    folded = f"translate({folded}, {_literal(''.join(SINGLE))}, {_literal(''.join(SINGLE.values()))})"
    return f"(CASE WHEN {expression} ~ '^[\\x01-\\x7f]*$' THEN lower({expression}) ELSE {folded} END)"


_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def words(text):
    """The folded words of ``text`` (runs of letters and digits; ``KA220-VET`` is two words)."""
    return _WORD.findall(fold(text))


def title_key(title):
    """The form in which an exact title is looked up: folded, with its whitespace collapsed."""
    return _SPACES.sub(" ", fold(title)).strip(" ")[:500]


def sql_title_key(expression):
    """The SQL (PostgreSQL) of :func:`title_key` (whitespace: the ASCII kinds; others are folded to spaces)."""
    return f"left(btrim(regexp_replace({sql_fold(expression)}, '[ \\t\\n\\r\\f\\v]+', ' ', 'g')), 500)"
