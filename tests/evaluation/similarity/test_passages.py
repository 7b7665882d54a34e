"""Shared passages (character spans for side-by-side highlighting) and highlight pieces."""

import pytest

from eplus.evaluation.similarity import highlight, shared_passages, side_by_side

SHARED = "Projekta mērķis ir uzlabot jauniešu digitālās prasmes Latvijas lauku skolās ar ģimeņu atbalstu"


def test_shared_passage_at_the_right_offsets_with_latvian_diacritics():
    text_a = "Ievads par organizāciju. " + SHARED + ". Beigas šeit."
    text_b = "Pavisam cits sākums, kurā nav nekā kopīga! " + SHARED + " — un vēl kaut kas."
    passages = shared_passages(text_a, text_b, min_words=8)
    assert len(passages) == 1
    a0, a1, b0, b1 = passages[0]
    assert text_a[a0:a1] == SHARED
    assert text_b[b0:b1] == SHARED
    assert (a0, b0) == (text_a.index(SHARED), text_b.index(SHARED))


def test_case_and_punctuation_differences_do_not_break_a_passage():
    text_a = "Sākums. " + SHARED
    text_b = SHARED.upper().replace(" ", ",  ")
    [(a0, a1, b0, b1)] = shared_passages(text_a, text_b)
    assert text_a[a0:a1] == SHARED
    assert (b0, b1) == (0, len(text_b))


def test_decomposed_diacritics_match_composed_ones():
    decomposed = SHARED.replace("ē", "e\u0304").replace("ā", "a\u0304")
    [(a0, a1, b0, b1)] = shared_passages(SHARED, decomposed)
    assert (a0, a1) == (0, len(SHARED))
    assert (b0, b1) == (0, len(decomposed))


def test_several_passages_in_a_different_order():
    one = "alfa beta gamma delta epsilons zeta eta teta jota kapa"
    two = "viens divi trīs četri pieci seši septiņi astoņi deviņi desmit"
    text_a = f"{one}. Starp tiem kaut kas cits pilnīgi. {two}."
    text_b = f"{two}! Un vēl. {one}?"
    passages = shared_passages(text_a, text_b, min_words=8)
    assert [text_a[a0:a1] for a0, a1, _, _ in passages] == [one, two]
    assert [text_b[b0:b1] for _, _, b0, b1 in passages] == [one, two]
    assert passages == sorted(passages)


def test_short_overlap_below_min_words_is_ignored():
    assert shared_passages("viens divi trīs četri pieci", "viens divi trīs četri pieci", min_words=8) == []
    assert shared_passages("viens divi trīs četri pieci", "viens divi trīs četri pieci", min_words=5) == [
        (0, 27, 0, 27)
    ]


@pytest.mark.parametrize("a,b", [("", ""), ("", SHARED), (SHARED, None), ("...", "!!!")])
def test_empty_texts(a, b):
    assert shared_passages(a, b) == []


def test_min_words_must_be_positive():
    with pytest.raises(ValueError):
        shared_passages("a", "a", min_words=0)


def test_highlight_pieces_cover_the_text():
    text = "abcdefghij"
    pieces = highlight(text, [(2, 4), (3, 6), (8, 20)])
    assert pieces == [("ab", False), ("cdef", True), ("gh", False), ("ij", True)]
    assert "".join(p for p, _ in pieces) == text
    assert highlight(text, []) == [(text, False)]
    assert highlight("", [(0, 3)]) == []


def test_side_by_side():
    text_a = "Ievads. " + SHARED
    text_b = SHARED + " Nobeigums."
    pieces_a, pieces_b, passages = side_by_side(text_a, text_b)
    assert pieces_a == [("Ievads. ", False), (SHARED, True)]
    assert pieces_b == [(SHARED, True), (" Nobeigums.", False)]
    assert len(passages) == 1
