"""What a search query means, the same on PostgreSQL and SQLite: the syntax the search page documents —
words (all must match), ``"a phrase"``, ``-word`` / ``-"a phrase"`` (excluded) and ``OR`` between two
of them — parsed into AND-ed groups of OR-ed items, each item a run of folded words
(eplus.results.folding). PostgreSQL's ``websearch_to_tsquery`` reads the same syntax; SQLite matches the
parsed items against the folded, stemmed words of the cards (eplus.results.index.search_terms).

Also here: the query's length limit (longer queries are refused with a message, never silently
dropped) and the one-letter typo correction used when a query finds nothing.
"""

import re
from dataclasses import dataclass

from . import folding

# The longest query accepted (the search form's max_length; the API answers 400 above it).
MAX_QUERY_LENGTH = 300
# Words shorter than this are never "corrected" (too many neighbours).
MIN_CORRECTED_LENGTH = 4
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class QueryTooLong(ValueError):
    """The query is longer than MAX_QUERY_LENGTH characters."""


@dataclass(frozen=True)
class Item:
    words: tuple  # folded words; more than one = a phrase (adjacent, in this order)
    negated: bool = False


def check_length(text):
    if len(text or "") > MAX_QUERY_LENGTH:
        raise QueryTooLong(len(text))


def parse(text):
    """[[Item, …], …]: every group must match, an item of a group is enough. Items without any word
    (a lone ``-`` or ``"``) are dropped; ``OR`` at the start, the end or twice in a row is ignored."""
    groups, joining = [], False
    for match in _TOKEN.finditer((text or "").translate(QUOTES)):
        minus, phrase, bare = match.groups()
        if bare is not None:
            if bare.casefold() == "or":
                joining = bool(groups)
                continue
            negated = bare.startswith("-")
            words = tuple(folding.words(bare[1:] if negated else bare))
        else:
            negated, words = bool(minus), tuple(folding.words(phrase))
        if not words:
            continue
        item = Item(words, negated)
        if joining:
            groups[-1].append(item)
        else:
            groups.append([item])
        joining = False
    return groups


def positive_words(groups):
    """The words the cards must (or may) have: those of the items that are not excluded."""
    return [w for group in groups for item in group if not item.negated for w in item.words]


def to_websearch(groups):
    """The parsed query written back in websearch syntax (for PostgreSQL after a correction)."""
    def item_text(item):
        body = item.words[0] if len(item.words) == 1 else '"' + " ".join(item.words) + '"'
        return ("-" if item.negated else "") + body
    return " ".join(" or ".join(item_text(i) for i in group) for group in groups)


def edits(word):
    """Every string one edit (a letter deleted, swapped with the next, replaced or inserted) from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    found |= {a + c + b for a, b in splits for c in _LETTERS}
    found.discard(word)
    return found


def correct(groups, weight):
    """The groups with every positive word the cards do not have (``weight(words)`` gives {word: how
    many cards have it}) replaced by its most frequent neighbour one edit away; None when nothing changed."""
    candidates = {}
    for word in set(positive_words(groups)):
        if len(word) >= MIN_CORRECTED_LENGTH and word.isalpha():
            candidates[word] = sorted(edits(word))
    if not candidates:
        return None
    weights = weight(sorted(set(candidates) | {c for cs in candidates.values() for c in cs}))
    replace = {}
    for word, options in candidates.items():
        if weights.get(word, 0):
            continue
        best = max(options, key=lambda c: weights.get(c, 0), default=None)  # the first of equals (sorted)
        if best is not None and weights.get(best, 0):
            replace[word] = best
    if not replace:
        return None
    return [[Item(tuple(replace.get(w, w) if not item.negated else w for w in item.words), item.negated)
             for item in group] for group in groups]
