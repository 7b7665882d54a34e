"""The benchmark helpers and a miniature run of the similarity benchmark (correctness, not speed)."""

import json

from bench import _common
from bench import similarity as bench_similarity


def test_machine_describes_this_machine():
    info = _common.machine()
    assert info["cores"] >= 1
    assert info["python"].count(".") == 2
    assert info["cpu"] and info["os"]


def test_write_result_adds_date_and_machine(tmp_path):
    out = _common.write_result("demo", {"seconds": 1.5}, results_dir=tmp_path)
    on_disk = json.loads((tmp_path / "demo.json").read_text())
    assert on_disk == out
    assert on_disk["seconds"] == 1.5 and on_disk["date"].endswith("+00:00") and "cpu" in on_disk["machine"]


def test_write_section_appends_then_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    _common.write_section("one", "## one\nfirst", path=path)
    _common.write_section("two", "## two\nsecond", path=path)
    _common.write_section("one", "## one\nupdated", path=path)
    text = path.read_text()
    assert text.startswith("# Benchmarks")
    assert "first" not in text and "updated" in text and "second" in text
    assert text.count("<!-- bench:one -->") == 1 and text.count("<!-- /bench:two -->") == 1
    assert text.index("## one") < text.index("## two")


def test_miniature_benchmark_run_finds_the_planted_pairs(tmp_path):
    result = bench_similarity.main(
        [
            "--applications", "120", "--reference", "20", "--words", "300", "--pairs", "10",
            "--clusters", "3", "--reference-copies", "5", "--brute-subset", "20", "--no-write",
        ]
    )
    assert result["applications"] == 120
    assert result["planted_pairs"] == 10 + 3 * 6 + 5
    assert result["planted_pairs_at_or_above_threshold"] > 0
    assert result["recall"] >= 0.95 and result["precision"] == 1.0
    assert result["brute_force_ratio"] > 0
    markdown = bench_similarity.section(result)
    assert "| Recall" in markdown and "120" in markdown
