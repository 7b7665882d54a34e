"""The near-duplicate engine: pairs found and not found, reference projects, determinism, edge cases."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from datasketch import MinHash, MinHashLSH

from eplus.evaluation.similarity import (
    SimilarityIndex,
    SimilarPair,
    Shingler,
    build_index,
    exact_jaccard,
    find_similar_pairs,
    tokens,
)
from eplus.evaluation.similarity.minhash import Signer, band_probability, input_hash32, lsh_params

WORDS = (
    "jaunieši skolotāji partneri projekts mācības digitālās prasmes sadarbība kvalitāte vide "
    "kopiena pieaugušie izglītība iekļaušana metodes rīki kurss darbnīca tiešsaistē rezultāti "
    "young people learning digital skills schools teachers training activities network local "
    "green mobility cooperation quality methods tools course workshop online results inclusion "
    "alfa beta gamma delta ezers kalns upe mežs pļava sala osta tilts iela laukums tornis"
).split()


def make_text(seed, sentences=60):
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def edit_sentences(text, count, seed):
    """Replace ``count`` sentences with new ones (a few edited sentences)."""
    rng = random.Random(seed)
    sentences = text.split(". ")
    for index in rng.sample(range(len(sentences)), count):
        sentences[index] = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize()
    return ". ".join(sentences)


def jaccard_of(text_a, text_b):
    s = Shingler(5)
    return exact_jaccard(s.shingle_set(text_a), s.shingle_set(text_b))


def test_identical_texts_have_similarity_one():
    text = make_text(1)
    pairs = find_similar_pairs([("a", text), ("b", text)])
    assert pairs == [SimilarPair("a", "b", 1.0, 1.0, False)]


def test_near_duplicate_found_and_unrelated_not():
    original = make_text(2)
    near = edit_sentences(original, 2, seed=3)
    unrelated = make_text(4)
    assert near != original
    expected = jaccard_of(original, near)
    assert 0.8 <= expected < 1.0
    pairs = find_similar_pairs([(1, original), (2, near), (3, unrelated)])
    assert [(p.a_id, p.b_id) for p in pairs] == [(1, 2)]
    assert pairs[0].jaccard == pytest.approx(expected)
    assert abs(pairs[0].estimated - expected) < 0.15
    assert jaccard_of(original, unrelated) < 0.1


def test_case_punctuation_and_spacing_do_not_matter():
    text = make_text(5)
    shouted = text.upper().replace(".", " !").replace(" ", "  ")
    pairs = find_similar_pairs([(1, text), (2, shouted)])
    assert len(pairs) == 1 and pairs[0].jaccard == 1.0


def test_pair_below_threshold_is_not_reported_but_lower_threshold_finds_it():
    original = make_text(6)
    heavier = edit_sentences(original, 18, seed=7)
    jac = jaccard_of(original, heavier)
    assert 0.3 < jac < 0.8
    assert find_similar_pairs([(1, original), (2, heavier)]) == []
    lower = find_similar_pairs([(1, original), (2, heavier)], threshold=0.3)
    assert [(p.a_id, p.b_id) for p in lower] == [(1, 2)]
    assert lower[0].jaccard == pytest.approx(jac)


def test_reference_projects_matched_but_not_with_each_other():
    funded = make_text(8)
    applications = [(10, edit_sentences(funded, 1, seed=9)), (11, make_text(10))]
    # Two identical reference projects: reference-vs-reference pairs are never reported.
    reference = [(10, funded), (20, funded)]
    pairs = find_similar_pairs(applications, reference=reference)
    assert {(p.a_id, p.b_id, p.b_is_reference) for p in pairs} == {(10, 10, True), (10, 20, True)}
    assert all(p.jaccard >= 0.8 for p in pairs)


def test_pairs_sorted_by_similarity_and_clusters_give_all_pairs():
    base = make_text(11)
    docs = [("x", base), ("y", edit_sentences(base, 3, seed=12)), ("z", edit_sentences(base, 1, seed=13))]
    docs += [(f"other{i}", make_text(100 + i)) for i in range(20)]
    pairs = find_similar_pairs(docs, threshold=0.6)
    assert {frozenset((p.a_id, p.b_id)) for p in pairs} == {
        frozenset(("x", "y")),
        frozenset(("x", "z")),
        frozenset(("y", "z")),
    }
    scores = [p.jaccard for p in pairs]
    assert scores == sorted(scores, reverse=True)
    assert (pairs[0].a_id, pairs[0].b_id) == ("x", "z")
    assert pairs[0].jaccard == pytest.approx(jaccard_of(docs[0][1], docs[2][1]))


def test_deterministic():
    base = make_text(14)
    docs = [(i, edit_sentences(base, i % 4, seed=i)) for i in range(8)] + [(99, make_text(15))]
    first = find_similar_pairs(docs, threshold=0.5)
    second = find_similar_pairs(list(docs), threshold=0.5)
    assert first == second and len(first) > 0
    # Hashes are stable values (not Python's salted hash()): fixed for a fixed text.
    assert Shingler(5).shingles("one two three four five")[0] == Shingler(5).shingles("One two, three four five!")[0]


@pytest.mark.parametrize("text", ["", "   ", "...", "one", "one two three four", None])
def test_empty_and_very_short_texts(text):
    docs = [(1, text), (2, text), (3, make_text(16)), (4, "")]
    assert find_similar_pairs(docs) == []
    index = build_index(docs)
    assert index.stats.too_short == 3 and index.stats.documents == 1


def test_no_documents_at_all():
    assert find_similar_pairs([]) == []
    assert find_similar_pairs([], reference=[(1, make_text(17))]) == []


def test_duplicate_ids_refused_but_same_id_allowed_across_kinds():
    index = SimilarityIndex()
    index.add(1, make_text(18))
    index.add(1, make_text(18), reference=True)
    with pytest.raises(ValueError):
        index.add(1, make_text(19))


def test_word_hashes_follow_the_tokeniser_including_latvian():
    text = "Ābele  ĀBELE a\u0304bele, foo_bar 12ab. Šis ir „teksts“ — ķiploks; ĢIMENE ģimene!"
    shingler = Shingler(1)
    hashes = shingler.word_hashes(text)
    assert len(hashes) == len(tokens(text)) == 12
    assert tokens(text)[:3] == ["ābele", "ābele", "ābele"]
    assert hashes[0] == hashes[1] == hashes[2]  # case and decomposed diacritics normalised
    assert hashes[-1] == hashes[-2]
    assert np.array_equal(hashes, shingler.word_hashes(" ".join(tokens(text))))
    assert shingler.word_hashes("ābele")[0] != shingler.word_hashes("abele")[0]


def test_signatures_are_datasketch_affine32_minhashes():
    shingles = Shingler(5).shingles(make_text(20))
    signer = Signer(num_perm=64, seed=7)
    reference = MinHash(num_perm=64, seed=7, hashfunc=lambda value: value, scheme="affine32")
    reference.update_batch(input_hash32(shingles).tolist())
    ours = signer.lean(signer.signature(shingles))
    assert np.array_equal(ours.hashvalues, reference.hashvalues)
    assert ours.jaccard(reference) == 1.0
    lsh = MinHashLSH(num_perm=64, params=(16, 4))
    lsh.insert("ours", ours)
    assert lsh.query(reference) == ["ours"]


def test_lsh_params_reach_the_target_recall_at_the_threshold():
    for threshold in (0.5, 0.7, 0.8, 0.9):
        bands, rows = lsh_params(threshold, 128)
        assert bands * rows <= 128
        assert band_probability(threshold, bands, rows) >= 0.995
        # one more row per band would fall below the target: the banding is as selective as allowed
        assert band_probability(threshold, 128 // (rows + 1), rows + 1) < 0.995
    with pytest.raises(ValueError):
        lsh_params(0, 128)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_vectorised_word_split_matches_the_tokeniser_on_any_text(text):
    shingler = Shingler(1)
    words = tokens(text)
    hashes = shingler.word_hashes(text)
    assert len(hashes) == len(words)
    # the same words give the same hashes whatever surrounds them
    assert np.array_equal(hashes, shingler.word_hashes(" ".join(words)))
    if words:
        assert shingler.word_hashes(words[0])[0] == hashes[0]
