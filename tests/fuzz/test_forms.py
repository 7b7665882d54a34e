"""Every form of every role, posted with hostile values (tests/fuzz/forms.py): no answer may be a server
error. The roles and their pages come from tests/fuzz/world.py; each page is opened as its role (redirects
followed), its forms are read from the HTML, and each distinct form of the role is fuzzed. A refusal (400 for
control characters, a form that shows its errors, a 404 for a guessed identifier) is the expected answer."""

import time

import pytest
from django.test import Client

from .forms import HOSTILE, Fuzzer
from .world import log_in

# Forms left out of the run, by the path they post to, with the reason (none at present).
LEFT_OUT = {}


def _fuzz_role(world, role, thorough):
    client = Client(raise_request_exception=False)
    log_in(client, world.people[role])
    fuzzer = Fuzzer(client, role, left_out=LEFT_OUT, thorough=thorough)
    seen, unreachable = set(), []
    for url in world.urls[role]:
        status, forms = fuzzer.forms_of(url)
        if status >= 400:
            unreachable.append(f"{url}: {status}")
        for form in forms:
            if form.signature() not in seen:
                seen.add(form.signature())
                fuzzer.fuzz(form)
    return fuzzer, seen, unreachable


def test_no_form_of_any_role_answers_a_server_error(world):
    failures, report, thorough = [], [], set()
    for role in world.people:
        started = time.monotonic()
        fuzzer, forms, unreachable = _fuzz_role(world, role, thorough)
        assert not unreachable, f"the world's pages of {role} must open: {unreachable}"
        assert forms, f"no form found for {role}"
        failures += fuzzer.failures
        steps = ", ".join(f"{step} {n} in {seconds:.1f}s" for step, (n, seconds) in fuzzer.timing.items())
        report.append(f"{role}: {len(forms)} forms, {fuzzer.sent} requests, {time.monotonic() - started:.1f}s ({steps})")
        print(report[-1])
    assert not failures, f"{len(failures)} server errors:\n\n" + "\n\n".join(str(f) for f in failures)


def _is_int(text):
    try:
        int(text)
    except ValueError:
        return False
    return True


# --- the self-check: a form whose POST crashes on anything but an integer is caught -----------------------

@pytest.mark.django_db
def test_the_fuzzer_reports_a_server_error_with_its_field_and_value(settings):
    settings.ROOT_URLCONF = "tests.fuzz.selfcheck_urls"
    fuzzer = Fuzzer(Client(raise_request_exception=False), "anonymous")
    _status, forms = fuzzer.forms_of("/selfcheck/form/")
    assert [(f.method, [x.name for x in f.fields]) for f in forms] == [("post", ["n", "step", "go"])]
    fuzzer.fuzz(forms[0])
    every = {f.value for f in fuzzer.failures if f.fields.startswith("every field")}
    by_field = {(f.fields, f.value) for f in fuzzer.failures if not f.fields.startswith("every field")}
    # Refused before the view: NUL and control characters (400), and 1 MB in every field (too big: 400).
    assert every == {label for label, value in HOSTILE if not _is_int(value)} - {
        "NUL", "control characters", "1 MB string"}
    assert by_field and {name for name, _value in by_field} == {"n"}
    assert all("ValueError" in f.error and f.status == 500 for f in fuzzer.failures)
    assert "/selfcheck/form/" in str(fuzzer.failures[0])
