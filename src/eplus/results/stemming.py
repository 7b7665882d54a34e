"""A small English suffix stripper for the SQLite search (the demo): ``courses`` finds ``course``,
``trainings`` / ``trained`` find ``training`` / ``train``.

Why not a real stemmer: none is a dependency of the project (PostgreSQL uses its own Snowball English
stemmer through ``to_tsvector('english', …)``); a Snowball package (snowballstemmer) would be better and
would make both backends agree. These rules only have to send the forms of one word to the same key — the
same function is applied to the indexed text and to the query — so they strip what English adds most
(plural -s/-es/-ies, -ing, -ed, a final silent -e) and never cut a word below three letters.
"""

_VOWELS = set("aeiouy")
_KEEP_S = ("ss", "us", "is", "os")


def _has_vowel(text):
    return any(c in _VOWELS for c in text)


def _undouble(stem):
    """running → runn → run (but not "skill", "class", "buzz")."""
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "lsz" and stem[-1] not in _VOWELS:
        return stem[:-1]
    return stem


def stem(word):
    """The stem of a folded (lower-case) English word; numbers and short words as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(_KEEP_S):
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) - 3 >= 3 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) - 2 >= 3 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word
