"""Word shingles hashed to integers, vectorised with numpy.

A text is normalised (NFC, lower-case; see text.py), turned into an array of code points, and
cut into words exactly where ``text.tokens`` would cut it (letters, digits and combining marks).
Each word is hashed with a polynomial hash over its code points, computed for all words at
once (prefix products with the modular inverse of an odd base, then ``np.add.reduceat``); a
shingle of k consecutive words is a polynomial combination of its words' hashes. Both are
finished with the MurmurHash3 64-bit finaliser. Everything is wrapping uint64 arithmetic:
stable across processes, machines and runs (unlike Python's ``hash``), and no Python-level
loop over words.
"""


import numpy as np

from .text import normalise

_BASE = 0x100000001B3  # odd, so invertible modulo 2^64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
# Odd multipliers, one per position in the shingle (fixed: hashes must be stable).
_POSITION_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
        0x2545F4914F6CDD1D,
        0x87C37B91114253D5,
        0x4CF5AD432745937F,
        0x52DCE729DA3ED8B1,
    ],
    dtype=np.uint64,
)
MAX_SHINGLE_SIZE = len(_POSITION_MULTIPLIERS)

_BMP_WORD = None  # bool per code point below 0x10000, built on first use (~20 ms)
_powers = np.ones(1, dtype=np.uint64)
_inverse_powers = np.ones(1, dtype=np.uint64)


def _power_tables(n):
    """BASE^i and BASE^-i (mod 2^64) for i < n, grown on demand."""
    global _powers, _inverse_powers
    if len(_powers) < n:
        size = max(n, 2 * len(_powers), 1 << 16)
        powers = np.full(size, _BASE, dtype=np.uint64)
        powers[0] = 1
        inverse = np.full(size, _BASE_INV, dtype=np.uint64)
        inverse[0] = 1
        _powers, _inverse_powers = np.cumprod(powers), np.cumprod(inverse)
    return _powers, _inverse_powers


def is_word_char(ch):
    """The same rule as text.WORD_RE: a letter or digit, or a combining diacritic."""
    return ch.isalnum() or "\u0300" <= ch <= "\u036f"


def _word_mask(cp):
    global _BMP_WORD
    if _BMP_WORD is None:
        _BMP_WORD = np.fromiter((is_word_char(chr(c)) for c in range(0x10000)), dtype=bool, count=0x10000)
    mask = _BMP_WORD[np.minimum(cp, 0xFFFF)]
    astral = cp > 0xFFFF
    if astral.any():
        mask[astral] = [is_word_char(chr(c)) for c in cp[astral].tolist()]
    return mask


def fmix64(values):
    """MurmurHash3 finaliser: an avalanching bijection on uint64 (returns a new array)."""
    v = values ^ (values >> np.uint64(33))
    v *= np.uint64(0xFF51AFD7ED558CCD)
    v ^= v >> np.uint64(33)
    v *= np.uint64(0xC4CEB9FE1A85EC53)
    v ^= v >> np.uint64(33)
    return v


class Shingler:
    """Turns texts into arrays of 64-bit shingle hashes."""

    def __init__(self, shingle_size=5):
        if not 1 <= shingle_size <= MAX_SHINGLE_SIZE:
            raise ValueError(f"shingle_size must be between 1 and {MAX_SHINGLE_SIZE}")
        self.k = shingle_size

    def word_hashes(self, text):
        """uint64 hash of each word of the text, in order (same words as text.tokens(text))."""
        norm = normalise(text)
        if not norm:
            return np.empty(0, dtype=np.uint64)
        cp = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
        mask = _word_mask(cp)
        edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        if starts.size == 0:
            return np.empty(0, dtype=np.uint64)
        ends = np.flatnonzero(edges == -1)
        n = len(cp)
        powers, inverse = _power_tables(n + 1)
        weighted = np.empty(n + 1, dtype=np.uint64)  # one spare slot: a word may end at n
        weighted[n] = 0
        np.multiply(cp, powers[:n], out=weighted[:n])
        # Sums over [start, end) of each word: reduceat over interleaved starts and ends gives
        # the words at even positions and the gaps between them at odd positions.
        bounds = np.empty(2 * len(starts), dtype=np.intp)
        bounds[0::2] = starts
        bounds[1::2] = ends
        sums = np.add.reduceat(weighted, bounds)[0::2]
        sums *= inverse[starts]
        sums ^= (ends - starts).astype(np.uint64) * _LENGTH_MIX
        return fmix64(sums)

    def shingles_of_hashes(self, word_hashes):
        """All k-word shingles (with repeats) as uint64; empty when there are fewer than k words."""
        n = len(word_hashes) - self.k + 1
        if n <= 0:
            return np.empty(0, dtype=np.uint64)
        h = word_hashes
        acc = h[:n] * _POSITION_MULTIPLIERS[0]
        for j in range(1, self.k):
            acc += h[j : j + n] * _POSITION_MULTIPLIERS[j]
        return fmix64(acc)

    def shingles(self, text):
        return self.shingles_of_hashes(self.word_hashes(text))

    def shingle_set(self, text):
        """Sorted unique shingle hashes: the set the exact Jaccard is computed on."""
        return np.unique(self.shingles(text))


def exact_jaccard(set_a, set_b):
    """Exact Jaccard similarity of two sorted unique arrays (0.0 when both are empty)."""
    if set_a.size == 0 and set_b.size == 0:
        return 0.0
    inter = np.intersect1d(set_a, set_b, assume_unique=True).size
    return inter / (set_a.size + set_b.size - inter)
