"""Near-duplicate / originality check (MinHash + LSH with datasketch, verified exactly).

A plain Python package (no models): the evaluation app calls it and stores the officer's
decisions. Public API::

    find_similar_pairs(documents, threshold=0.8, reference=()) -> [SimilarPair]
    build_index(documents, reference=(), threshold=0.8) -> SimilarityIndex
    shared_passages(text_a, text_b, min_words=8) -> [(a_start, a_end, b_start, b_end)]
    highlight(text, spans) -> [(segment, shared)]
    side_by_side(text_a, text_b, min_words=8) -> (pieces_a, pieces_b, passages)
"""

from .engine import SimilarityIndex, SimilarPair, build_index, find_similar_pairs
from .passages import highlight, shared_passages, side_by_side
from .shingles import Shingler, exact_jaccard
from .text import normalise, token_spans, tokens

__all__ = [
    "SimilarPair",
    "SimilarityIndex",
    "Shingler",
    "build_index",
    "exact_jaccard",
    "find_similar_pairs",
    "highlight",
    "normalise",
    "shared_passages",
    "side_by_side",
    "token_spans",
    "tokens",
]
