"""Programme figures (rates, durations, amounts, thresholds) come from the programme data, never from
code or templates (issue 10, item 6): a value typed again in code can contradict the call's own data."""

import io
import re
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "eplus"
# The figures of the 2026 Programme Guide / lump-sum guide that the code once repeated: report and
# payment periods in days (30, 60), the pre-financing threshold (70 %), the 80/20 and 40/40/20
# schedules, the award threshold (60 points, half of each criterion, a 30-point gap) and the
# reduction bands of final reports (50, 40, 25 points; 25 / 50 / 75 %).
FIGURES = {"20", "25", "30", "40", "50", "60", "70", "75", "80", "0.5"}
# Modules whose numbers are not programme figures (page sizes, pixel sizes, HTTP limits).
UNRELATED = {"config", "core", "accounts", "demo", "home", "results", "organisations", "migrations", "data",
             "models.py", "forms.py"}

# Numbers that size things rather than state programme rules: field widths, slices, chart geometry.
SIZE_NAMES = {"max_length", "max_digits", "decimal_places", "width", "height", "limit", "cut", "size"}


def _code_figures(source):
    """The figures written as numbers or numeric strings in code (docstrings, comments, subscripts and
    size arguments excluded)."""
    found = set()
    significant = []  # the significant tokens before the current one
    brackets = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.OP and token.string in "([{":
            brackets.append(token.string)
        elif token.type == tokenize.OP and token.string in ")]}" and brackets:
            brackets.pop()
        before = significant[-2:]
        sized = bool(before) and before[-1].string in ("=", ":") and any(
            t.string in SIZE_NAMES for t in significant[-4:-1])
        in_subscript = bool(brackets) and brackets[-1] == "["
        docstring = token.type == tokenize.STRING and (not significant or significant[-1].type == tokenize.NEWLINE)
        if token.type in (tokenize.NUMBER, tokenize.STRING) and not (sized or in_subscript or docstring):
            value = token.string.strip("\"'") if token.type == tokenize.STRING else token.string
            if value in FIGURES:
                found.add(value)
        significant.append(token)
    return found


def test_python_code_takes_programme_figures_from_the_data():
    offenders = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).as_posix()
        if set(path.relative_to(SRC).parts) & UNRELATED:
            continue
        figures = _code_figures(path.read_text())
        if figures:
            offenders[relative] = figures
    assert not offenders, f"programme figures typed in code (read them from the call / programme data): {offenders}"


def test_templates_show_no_typed_percentages():
    typed = [f"{path.relative_to(SRC)}:{n}" for path in (SRC / "templates").rglob("*.html")
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"(?<![\w.])(20|25|30|40|50|60|70|75|80)\s?(%|&nbsp;%|days|dienu|points)", line)]
    assert not typed, typed


def test_the_scan_finds_a_typed_figure():
    assert _code_figures("threshold = '70'\nx = call.days or 30\n") == {"70", "30"}
    assert _code_figures('def f():\n    """Pay 80 % at signature."""\n    return 1\n') == set()
