"""Shared passages between two texts, as character spans, for side-by-side highlighting.

``shared_passages`` finds maximal runs of at least ``min_words`` consecutive words that occur in
both texts (compared as normalised words, so case, punctuation and spacing differences do not
break a passage) and returns their character spans in each ORIGINAL text. ``highlight`` cuts a
text into (segment, shared) pieces that a template can render with <mark> — no HTML is built
in Python.
"""

from .text import token_spans


def shared_passages(text_a, text_b, min_words=8):
    """[(a_start, a_end, b_start, b_end), ...] sorted by a_start; the spans are half-open
    character offsets into text_a and text_b. Passages in A do not overlap each other."""
    if min_words < 1:
        raise ValueError("min_words must be at least 1")
    ta = token_spans(text_a)
    tb = token_spans(text_b)
    if len(ta) < min_words or len(tb) < min_words:
        return []
    wa = [w for w, _, _ in ta]
    wb = [w for w, _, _ in tb]
    k = min_words
    starts_b = {}
    for j in range(len(wb) - k + 1):
        starts_b.setdefault(tuple(wb[j : j + k]), []).append(j)
    passages = []
    i = 0
    last_a = len(wa) - k
    while i <= last_a:
        candidates = starts_b.get(tuple(wa[i : i + k]))
        if not candidates:
            i += 1
            continue
        best_len, best_j = 0, candidates[0]
        for j in candidates[:16]:
            length = k
            while i + length < len(wa) and j + length < len(wb) and wa[i + length] == wb[j + length]:
                length += 1
            if length > best_len:
                best_len, best_j = length, j
        passages.append((ta[i][1], ta[i + best_len - 1][2], tb[best_j][1], tb[best_j + best_len - 1][2]))
        i += best_len
    return passages


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def highlight(text, spans):
    """Cut ``text`` into [(segment, shared), ...] covering it entirely, in order; ``spans`` are
    (start, end) character ranges (overlapping or unsorted ones are merged). For the two sides
    of shared_passages(): ``[(a0, a1) for a0, a1, _, _ in p]`` and ``[(b0, b1) for _, _, b0, b1 in p]``."""
    text = text or ""
    pieces = []
    pos = 0
    for start, end in _merge((max(0, s), min(len(text), e)) for s, e in spans):
        if start > pos:
            pieces.append((text[pos:start], False))
        if end > start:
            pieces.append((text[start:end], True))
        pos = max(pos, end)
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def side_by_side(text_a, text_b, min_words=8):
    """Both texts cut into highlight pieces, plus the passages: (pieces_a, pieces_b, passages)."""
    passages = shared_passages(text_a, text_b, min_words)
    return (
        highlight(text_a, [(a0, a1) for a0, a1, _, _ in passages]),
        highlight(text_b, [(b0, b1) for _, _, b0, b1 in passages]),
        passages,
    )
