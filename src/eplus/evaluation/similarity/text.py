"""Text normalisation and word tokens (Unicode-aware, so Latvian text works).

A word is a run of letters or digits, with combining diacritics kept inside the word
(a decomposed "ā" = "a" + U+0304 stays one word). Tokens are NFC-normalised and lower-cased,
so "Ābele", "ābele" and the decomposed spelling are the same word.
"""

import re
import unicodedata

# [^\W_] = a letter or digit in any script; U+0300–U+036F = combining diacritical marks.
WORD_RE = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def normalise(text):
    """The text as the engine compares it: NFC, lower-case."""
    return unicodedata.normalize("NFC", text or "").lower()


def tokens(text):
    """The normalised words of a text, in order (fast path for the engine)."""
    return WORD_RE.findall(normalise(text))


def token_spans(text):
    """(normalised word, start, end) for each word, with offsets into the ORIGINAL text."""
    text = text or ""
    out = []
    for match in WORD_RE.finditer(text):
        word = match.group()
        if not word.isascii():
            word = unicodedata.normalize("NFC", word)
        out.append((word.lower(), match.start(), match.end()))
    return out
