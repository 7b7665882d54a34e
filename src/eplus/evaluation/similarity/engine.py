"""Near-duplicate detection across a call: MinHash + LSH (datasketch), verified exactly.

    pairs = find_similar_pairs(applications, threshold=0.8, reference=funded_projects)

``applications`` and ``reference`` are iterables of ``(id, text)``. Every pair of applications
whose word-shingle sets have an exact Jaccard similarity >= threshold is returned, and every
(application, reference project) pair likewise; reference-vs-reference pairs are not.
LSH only proposes candidates (tuned so a pair at the threshold is proposed with probability
>= 99.5 %, higher above it); each candidate is then checked with the exact Jaccard of the two
shingle sets, so nothing below the threshold is reported.
"""

from dataclasses import dataclass
from typing import Hashable

import numpy as np
from datasketch import MinHashLSH

from .minhash import Signer, band_probability, estimated_jaccard, lsh_params
from .shingles import Shingler, exact_jaccard

DEFAULT_THRESHOLD = 0.8
DEFAULT_SHINGLE_SIZE = 5
DEFAULT_NUM_PERM = 128


@dataclass(frozen=True)
class SimilarPair:
    """Two documents whose shingle sets overlap: ``jaccard`` is exact, ``estimated`` is MinHash's.

    ``a_id`` is always an application; ``b_id`` is another application, or an earlier funded
    project when ``b_is_reference`` is true (ids of the two kinds may coincide)."""

    a_id: Hashable
    b_id: Hashable
    estimated: float
    jaccard: float
    b_is_reference: bool = False


@dataclass
class _Doc:
    key: Hashable
    reference: bool
    shingles: np.ndarray  # uint64 shingle hashes; sorted unique once verified
    signature: np.ndarray  # uint32[num_perm]
    unique: bool = False

    def shingle_set(self):
        if not self.unique:
            self.shingles = np.unique(self.shingles)
            self.unique = True
        return self.shingles


@dataclass
class IndexStats:
    documents: int = 0
    reference_documents: int = 0
    too_short: int = 0
    candidate_pairs: int = 0
    verified_pairs: int = 0
    bands: int = 0
    rows: int = 0


class SimilarityIndex:
    """An LSH index of documents (applications and reference projects).

    Texts with fewer words than the shingle size have no shingles: they are counted in
    ``stats.too_short`` and never reported (an empty answer is not a duplicate)."""

    def __init__(
        self,
        threshold=DEFAULT_THRESHOLD,
        *,
        num_perm=DEFAULT_NUM_PERM,
        shingle_size=DEFAULT_SHINGLE_SIZE,
        seed=1,
        target_recall=0.995,
    ):
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.shingler = Shingler(shingle_size)
        self.signer = Signer(num_perm=num_perm, seed=seed)
        bands, rows = lsh_params(threshold, num_perm, target_recall)
        self.lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
        self.docs: list[_Doc] = []
        self._keys = set()
        self.stats = IndexStats(bands=bands, rows=rows)

    @property
    def expected_recall_at_threshold(self):
        return band_probability(self.threshold, self.stats.bands, self.stats.rows)

    def add(self, key, text, *, reference=False):
        """Index one document. Returns False (and indexes nothing) for a too-short text."""
        ident = (reference, key)
        if ident in self._keys:
            raise ValueError(f"duplicate document id {key!r}")
        shingles = self.shingler.shingles(text)
        if shingles.size == 0:
            self.stats.too_short += 1
            return False
        signature = self.signer.signature(shingles)
        index = len(self.docs)
        self.docs.append(_Doc(key, reference, shingles, signature))
        self._keys.add(ident)
        self.lsh.insert(index, self.signer.lean(signature), check_duplication=False)
        if reference:
            self.stats.reference_documents += 1
        else:
            self.stats.documents += 1
        return True

    def add_many(self, documents, *, reference=False):
        for key, text in documents:
            self.add(key, text, reference=reference)
        return self

    def candidate_pairs(self):
        """Index pairs (i, j) proposed by LSH: i < j among applications, or i an application
        and j a reference project. Reference documents are never queried."""
        pairs = set()
        docs = self.docs
        for i, doc in enumerate(docs):
            if doc.reference:
                continue
            for j in self.lsh.query(self.signer.lean(doc.signature)):
                if j == i:
                    continue
                if docs[j].reference:
                    pairs.add((i, j))
                elif j > i:
                    pairs.add((i, j))
                else:
                    pairs.add((j, i))
        self.stats.candidate_pairs = len(pairs)
        return pairs

    def similar_pairs(self, threshold=None):
        """Verified pairs with exact Jaccard >= threshold (default: the index's threshold, which
        is also the lowest one the LSH banding is tuned for), most similar first."""
        threshold = self.threshold if threshold is None else threshold
        docs = self.docs
        found = []
        for i, j in self.candidate_pairs():
            a, b = docs[i], docs[j]
            jac = exact_jaccard(a.shingle_set(), b.shingle_set())
            if jac >= threshold:
                est = estimated_jaccard(a.signature, b.signature)
                found.append((jac, est, i, j))
        self.stats.verified_pairs = len(found)
        found.sort(key=lambda t: (-t[0], -t[1], t[2], t[3]))
        return [
            SimilarPair(docs[i].key, docs[j].key, est, jac, docs[j].reference)
            for jac, est, i, j in found
        ]


def build_index(documents, reference=(), threshold=DEFAULT_THRESHOLD, **options):
    """An index of the applications (and optional earlier funded projects as reference)."""
    index = SimilarityIndex(threshold, **options)
    index.add_many(documents)
    index.add_many(reference, reference=True)
    return index


def find_similar_pairs(documents, threshold=DEFAULT_THRESHOLD, reference=(), **options):
    """Suspicious pairs among the applications and between applications and reference projects,
    as a list of SimilarPair sorted by exact Jaccard similarity (highest first)."""
    return build_index(documents, reference, threshold, **options).similar_pairs()
