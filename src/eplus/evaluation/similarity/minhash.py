"""MinHash signatures computed with numpy, bit-for-bit in datasketch's "affine32" scheme.

datasketch's ``MinHash.update_batch`` hashes each value with a Python call; for 50 million
shingles that is far too slow. Here the same permutations (taken from datasketch, same seed) are
applied to a whole document's shingles at once: the 32-bit input hash is pre-mixed with the
MurmurHash3 32-bit finaliser, then ``a_k * h + b_k mod 2^32`` for every permutation k, and the
minimum per permutation. The result is wrapped in a datasketch ``LeanMinHash`` (scheme
"affine32"), so it can be inserted into datasketch's ``MinHashLSH`` and compared with any
datasketch MinHash built with the same seed and hash function (see the tests).
"""


import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)


def fmix32(values):
    v = values ^ (values >> np.uint32(16))
    v *= np.uint32(0x85EBCA6B)
    v ^= v >> np.uint32(13)
    v *= np.uint32(0xC2B2AE35)
    v ^= v >> np.uint32(16)
    return v


def input_hash32(shingles64):
    """The 32-bit value datasketch would get from its hash function for each shingle."""
    return (shingles64 >> np.uint64(32)).astype(np.uint32)


class Signer:
    def __init__(self, num_perm=128, seed=1):
        self.num_perm = num_perm
        self.seed = seed
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        self._a = np.ascontiguousarray(a, dtype=np.uint32)[:, None]
        self._b = np.ascontiguousarray(b, dtype=np.uint32)[:, None]

    def signature(self, shingles64):
        """uint32 array of num_perm minima (all 0xFFFFFFFF for an empty set, as datasketch)."""
        if shingles64.size == 0:
            return np.full(self.num_perm, _EMPTY, dtype=np.uint32)
        hv = fmix32(input_hash32(shingles64))
        phv = np.multiply(self._a, hv[None, :])
        phv += self._b
        return phv.min(axis=1)

    def lean(self, signature):
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)


def estimated_jaccard(sig_a, sig_b):
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def band_probability(similarity, bands, rows):
    """Probability that two sets of this Jaccard similarity share at least one LSH band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def lsh_params(threshold, num_perm, target_recall=0.995):
    """(bands, rows) for MinHashLSH: the most selective banding (most rows per band) that still
    makes a pair AT the threshold a candidate with probability >= target_recall; pairs above the
    threshold are found even more surely. Candidates are verified exactly afterwards, so the
    price of a loose banding is only verification time."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    best = (num_perm // 2, 2) if num_perm >= 4 else (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 2:
            break
        if band_probability(threshold, bands, rows) >= target_recall:
            best = (bands, rows)
    return best

