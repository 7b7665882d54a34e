"""The in-process facet engine (PostgreSQL): exact facet counts and the page of ids for any search whose
query is made of words (websearch ``and`` / ``or`` / ``-not``; no phrases), in a few milliseconds.

Each process keeps, per public card (bit position = card id), packed bitsets:

- one per facet value (call year, action, sector, status, good practice, success story, country,
  result type — the pairs of :func:`eplus.results.index.facet_pairs`, so the counts are the same as the
  stored and live SQL counts) and one of every public card;
- one per FREQUENT lexeme (results_frequentterm: the words found in ≥ 5 % of the cards).

A query's match is then bit operations: a frequent lexeme is its bitset; the other lexemes of the query
(rare by definition: < 5 % of the cards) are read in one query from their posting lists
(results_searchposting: one row per lexeme with its sorted card ids — not a GIN match, which would visit
every matching heap row) and turned into bitsets. The counts
are popcounts of (match AND facet value), the page is the first matching ids in the static order (call
year newest first, then identifier) — or ranked by ts_rank in SQL over the matching ids when there are at
most RANK_LIMIT of them.

Freshness: every index change (eplus.results.index.bump_version) takes a new version from a sequence and
logs the changed card; each search reads the version together with its tsquery (one round trip) and
re-reads only the changed cards (and the static order); a bulk change (rebuild, new frequent terms) makes
every process reload everything (≈ 15 s at 300 000 cards, once per process start and bulk change).
Memory at 300 000 cards: ≈ 37 KB per bitset, ≈ 280 bitsets + the order ≈ 13 MB per process.
"""

import json
import re
import threading
from array import array

import numpy as np
from django.db import connection

ENABLED = True
_LOCK = threading.Lock()
_STATE = {"engine": None}

ORDER_SQL = "SELECT card_id FROM results_searchrow ORDER BY call_year DESC NULLS LAST, identifier, card_id"
ROWS_SQL = ("SELECT card_id, call_year, action, sector, status, good_practice, success_story, countries::text, "
            "result_types::text FROM results_searchrow")
TERMS_SQL = """
SELECT l, array_agg(s.card_id)::text FROM results_searchrow s, unnest(tsvector_to_array(s.vector)) AS l(l)
WHERE l = ANY(%s) GROUP BY l
"""
CHANGED_SQL = ROWS_SQL.replace(" FROM", ", ARRAY(SELECT x FROM unnest(tsvector_to_array(vector)) x WHERE x = ANY(%s))"
                                        " FROM") + " WHERE card_id = ANY(%s)"
CHECK_SQL = """
SELECT v.version, v.full_version,
       (v.full_version = %(known)s OR v.version = %(known)s
        OR EXISTS (SELECT 1 FROM results_searchindexchange c WHERE c.version = %(known)s)),
       ARRAY(SELECT c.card_id FROM results_searchindexchange c WHERE c.version > %(known)s),
       websearch_to_tsquery('english', %(text)s)::text
FROM results_searchindexversion v WHERE v.id = 1
"""


def _row_pairs(row):
    from .index import facet_pairs

    card_id, call_year, action, sector, status, gp, ss, countries, types = row[:9]
    return facet_pairs({"call_year": call_year, "action": action, "sector": sector, "status": status,
                        "good_practice": gp, "success_story": ss, "countries": json.loads(countries),
                        "result_types": json.loads(types)})


def _order(cur):
    """The public card ids in the static order (newest call year first, then identifier)."""
    cur.execute(ORDER_SQL)
    order = array("q")
    while batch := cur.fetchmany(10000):
        order.extend(r[0] for r in batch)
    return np.frombuffer(order, dtype=np.int64).copy()


def _nbytes(max_id):
    return ((max_id + 1 + 65536) >> 3) + 1


class Engine:
    def __init__(self):
        self.version = None
        self.full_version = None
        self.nbytes = 0
        self.keys = {}          # (facet, value) -> row of self.facets
        self.facets = np.zeros((0, 0), np.uint8)
        self.terms = {}         # lexeme -> row of self.lexemes
        self.lexemes = np.zeros((0, 0), np.uint8)
        self.order = np.zeros(0, np.int64)

    # --- loading ---------------------------------------------------------------------------------

    def _grow(self, max_id):
        need = _nbytes(max_id)
        if need <= self.nbytes:
            return
        pad = need - self.nbytes
        self.facets = np.pad(self.facets, ((0, 0), (0, pad)))
        self.lexemes = np.pad(self.lexemes, ((0, 0), (0, pad)))
        self.nbytes = need

    def _facet_row(self, key):
        row = self.keys.get(key)
        if row is None:
            row = self.keys[key] = len(self.keys)
            if row >= self.facets.shape[0]:
                self.facets = np.vstack([self.facets, np.zeros((max(8, row), self.nbytes), np.uint8)])
        return row

    def _set_facets(self, rows):
        by_key = {}
        for row in rows:
            for pair in _row_pairs(row):
                ids = by_key.get(pair)
                if ids is None:
                    ids = by_key[pair] = array("q")
                ids.append(row[0])
        for key, ids in by_key.items():
            row = self._facet_row(key)
            self.facets[row] |= self._bits(ids)

    def load(self, cur, version, full_version):
        self.order = _order(cur)
        self.nbytes = 0
        self.facets = np.zeros((0, 0), np.uint8)
        self.lexemes = np.zeros((0, 0), np.uint8)
        self.keys = {}
        self._grow(int(self.order.max()) if len(self.order) else 0)
        self.facets = np.zeros((16, self.nbytes), np.uint8)
        with connection.chunked_cursor() as chunked:
            chunked.execute(ROWS_SQL)
            self._set_facets(row for batch in iter(lambda: chunked.fetchmany(5000), []) for row in batch)
        cur.execute("SELECT term FROM results_frequentterm ORDER BY term")
        words = [r[0] for r in cur.fetchall()]
        self.terms = {w: i for i, w in enumerate(words)}
        self.lexemes = np.zeros((len(words), self.nbytes), np.uint8)
        if words:
            # A server-side cursor, a few terms at a time: the ids of all the terms as text are ~100 MB.
            with connection.chunked_cursor() as chunked:
                chunked.execute(TERMS_SQL, [words])
                while batch := chunked.fetchmany(4):
                    for word, ids in batch:
                        self.lexemes[self.terms[word]] = self._bits(np.fromstring(ids[1:-1], dtype=np.int64,
                                                                                  sep=","))
        self.version, self.full_version = version, full_version

    def _bits(self, ids):
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[ids < self.nbytes * 8]
        flat = np.zeros(self.nbytes * 8, np.bool_)
        flat[ids] = True
        return np.packbits(flat, bitorder="little")

    def copy(self):
        other = Engine()
        other.__dict__.update(self.__dict__)
        other.keys, other.terms = dict(self.keys), dict(self.terms)
        other.facets, other.lexemes = self.facets.copy(), self.lexemes.copy()
        return other

    def apply_changes(self, cur, version, card_ids):
        """Re-read the changed cards (their current rows, idempotent) and the static order — on a copy
        of the bitsets, swapped in by the caller (searches in other threads keep their engine)."""
        card_ids = sorted(set(card_ids))
        cur.execute(CHANGED_SQL, [list(self.terms), card_ids])
        rows = cur.fetchall()
        self._grow(max(card_ids))
        for card_id in card_ids:
            byte, keep = card_id >> 3, np.uint8(0xFF ^ (1 << (card_id & 7)))
            self.facets[:, byte] &= keep
            self.lexemes[:, byte] &= keep
        self._set_facets(rows)
        for row in rows:
            card_id = row[0]
            byte, bit = card_id >> 3, np.uint8(1 << (card_id & 7))
            for word in row[9] or []:
                if word in self.terms:
                    self.lexemes[self.terms[word], byte] |= bit
        self.order = _order(cur)
        self.version = version

    # --- querying --------------------------------------------------------------------------------

    def everything(self):
        row = self.keys.get(("_total", ""))
        return self.facets[row].copy() if row is not None else np.zeros(self.nbytes, np.uint8)

    def lexeme_bitsets(self, cur, words):
        """{word: bitset} for the query's lexemes: frequent ones from memory, the others from their
        posting lists in one query (a word no public card has: all zero)."""
        found = {w: self.lexemes[self.terms[w]] for w in words if w in self.terms}
        rare = sorted(set(words) - set(found))
        if rare:
            from .index import POSTING_DTYPE

            cur.execute("SELECT term, cards FROM results_searchposting WHERE term = ANY(%s)", [rare])
            for word, cards in cur.fetchall():
                found[word] = self._bits(np.frombuffer(bytes(cards), POSTING_DTYPE).astype(np.int64))
        empty = np.zeros(self.nbytes, np.uint8)
        return {w: found.get(w, empty) for w in words}

    def facet(self, key):
        row = self.keys.get(key)
        return self.facets[row] if row is not None else np.zeros(self.nbytes, np.uint8)

    def counts(self, mask):
        totals = np.bitwise_count(self.facets[: len(self.keys)] & mask).sum(axis=1, dtype=np.int64)
        counts, total = {}, 0
        for (facet, value), row in self.keys.items():
            n = int(totals[row])
            if not n:
                continue
            if facet == "_total":
                total = n
            else:
                counts.setdefault(facet, {})[value] = n
        return counts, total

    def ids_in_order(self, mask, start, stop):
        bits = np.unpackbits(mask, bitorder="little")
        hits = np.flatnonzero(bits[self.order])
        return [int(i) for i in self.order[hits[start:stop]]]

    def matching_ids(self, mask):
        return [int(i) for i in np.flatnonzero(np.unpackbits(mask, bitorder="little"))]


# --- the tsquery text (websearch_to_tsquery(...)::text) -> bit operations -------------------------

_TOKEN = re.compile(r"\s*(?:'((?:[^']|'')*)'|(&|\||!|\(|\)|<\d*-?>|:[*A-D]+))")


def _tokens(text):
    """The tsquery's tokens: ("lex", word) and the operators & | ! ( ); None for phrases, weights, bad text."""
    tokens, pos, text = [], 0, text or ""
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m or (m.group(2) or "")[:1] in ("<", ":"):
            return None
        tokens.append(("lex", m.group(1).replace("''", "'")) if m.group(1) is not None else m.group(2))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens: or ← and (| and)*, and ← not (& not)*, not ← ! not | ( or ) | lex."""

    def __init__(self, tokens):
        self.tokens, self.index = tokens, 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self):
        self.index += 1
        return self.tokens[self.index - 1]

    def binary(self, operator, name, operand):
        left = operand()
        while self.peek() == operator:
            self.take()
            left = (name, left, operand())
        return left

    def parse_or(self):
        return self.binary("|", "or", self.parse_and)

    def parse_and(self):
        return self.binary("&", "and", self.parse_not)

    def parse_not(self):
        token = self.take()
        if token == "!":
            return ("not", self.parse_not())
        if token == "(":
            inner = self.parse_or()
            if self.take() != ")":
                raise ValueError("unbalanced")
            return inner
        if not isinstance(token, tuple):
            raise ValueError("unexpected operator")
        return token


def parse_tsquery(text):
    """A tree ("lex", word) / ("not", t) / ("and", a, b) / ("or", a, b) for a tsquery's text, or None
    when it has phrases, prefixes or weights (the SQL path handles those) or is empty."""
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        tree = parser.parse_or()
    except (ValueError, IndexError):
        return None
    return tree if parser.index == len(tokens) else None


def _lexemes(tree):
    if tree[0] == "lex":
        return [tree[1]]
    return [word for branch in tree[1:] for word in _lexemes(branch)]


def _evaluate(bitsets, tree, everything):
    kind = tree[0]
    if kind == "lex":
        return bitsets[tree[1]]
    if kind == "not":
        return everything & ~_evaluate(bitsets, tree[1], everything)
    left, right = _evaluate(bitsets, tree[1], everything), _evaluate(bitsets, tree[2], everything)
    return (left & right) if kind == "and" else (left | right)


def _filter_keys(filters):
    keys = []
    for facet, value in filters.items():
        if facet == "country":
            value = value.upper()
        elif facet == "call_year":
            value = str(int(value))
        keys.append((facet, value))
    return keys


def current_engine(cur, query_text):
    """(the engine, up to date, and the query's tsquery text), or (None, None) when it cannot be used."""
    if not ENABLED or connection.vendor != "postgresql":
        return None, None
    # While another thread loads everything (seconds), give up after a moment: the SQL path answers.
    if not _LOCK.acquire(timeout=0.5):
        return None, None
    try:
        engine = _STATE["engine"]
        known = engine.version if engine is not None else -1
        cur.execute(CHECK_SQL, {"known": known, "text": query_text})
        found = cur.fetchone()
        if found is None:
            return None, None
        version, full_version, known_ok, changed, tsquery = found
        if engine is None or not known_ok or full_version != engine.full_version:
            engine = Engine()
            engine.load(cur, version, full_version)
            _STATE["engine"] = engine
            # Cards changed while loading are re-read at the next search (their versions are newer).
        elif version != engine.version and changed:
            engine = engine.copy()
            engine.apply_changes(cur, version, changed)
            _STATE["engine"] = engine
        elif version != engine.version:
            engine.version = version
    finally:
        _LOCK.release()
    return engine, tsquery


def evaluate(query_text, filters):
    """(engine, mask, counts, total, tree) for the query and the filters, or None (use the SQL path);
    ``tree`` is the parsed query (None for no text), for :func:`title_mask`."""
    tree = None
    with connection.cursor() as cur:
        engine, tsquery = current_engine(cur, query_text)
        if engine is None:
            return None
        mask = engine.everything()
        if query_text:
            tree = parse_tsquery(tsquery)
            if tree is None:
                return None
            mask &= _evaluate(engine.lexeme_bitsets(cur, _lexemes(tree)), tree, mask.copy())
        for key in _filter_keys(filters):
            mask &= engine.facet(key)
    counts, total = engine.counts(mask)
    return engine, mask, counts, total, tree


def _marked(tree):
    from .index import TITLE_MARK

    if tree[0] == "lex":
        return ("lex", TITLE_MARK + tree[1])
    return (tree[0], *(_marked(branch) for branch in tree[1:]))


def title_mask(engine, mask, tree):
    """The cards of ``mask`` whose TITLE alone matches the query ``tree``: the same bit operations over
    the marked title lexemes (eplus.results.index.TITLE_MARK) — the title matches a broad query shows
    first."""
    marked = _marked(tree)
    with connection.cursor() as cur:
        bitsets = engine.lexeme_bitsets(cur, _lexemes(marked))
    return mask & _evaluate(bitsets, marked, mask.copy())


def memory_mb():
    """The memory held by this process's engine (its bitsets and the static order), in MB."""
    engine = _STATE["engine"]
    if engine is None:
        return 0.0
    return (engine.facets.nbytes + engine.lexemes.nbytes + engine.order.nbytes) / 1e6


def reset():
    """Forget the loaded engine (tests)."""
    with _LOCK:
        _STATE["engine"] = None


def warm():
    """Load the engine now, in the calling thread (a gunicorn worker starting: eplus.config.gunicorn), so
    the first searches do not wait for it; they use the SQL path while it loads."""
    if not ENABLED or connection.vendor != "postgresql":
        return False
    try:
        return evaluate("", {}) is not None
    finally:
        connection.close()  # this thread's own connection
