"""Hostile input in an application: control characters refused before they are stored (the section form,
the autosave API), amounts bounded with a clear message, and data stored by older versions that is no
amount at all (``1e309``) shown as invalid on every page instead of a 500."""

import json

import pytest
from django.urls import reverse

from eplus.applications.models import Section

from .conftest import context_data, save, wp_data


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def _section(application, key):
    return Section.objects.get(application=application, key=key)


def test_a_nul_in_a_section_form_is_refused_and_nothing_is_stored(logged_in, application):
    before = _section(application, "context")
    response = logged_in.post(reverse("applications:section", args=[application.pk, "context"]),
                              {**context_data(title="Green\x00skills"), "base_version": before.version})
    assert response.status_code == 400
    assert "“title”" in response.content.decode() and "U+0000" in response.content.decode()
    after = _section(application, "context")
    assert (after.version, after.data) == (before.version, before.data)


@pytest.mark.parametrize("title", ["Green\u0000skills", "Lone \ud800 surrogate", "Bell\u0007"])
def test_the_autosave_api_refuses_control_characters_in_json(logged_in, application, title):
    section = _section(application, "context")
    body = json.dumps({"data": context_data(title=title), "base_version": section.version})
    response = logged_in.put(f"/api/v1/applications/{application.pk}/sections/context", body,
                             content_type="application/json")
    assert response.status_code == 400 and "“title”" in json.loads(response.content)["detail"]
    assert _section(application, "context").version == section.version
    ok = json.dumps({"data": context_data(title="Tabs\tand\nlines"), "base_version": section.version})
    assert logged_in.put(f"/api/v1/applications/{application.pk}/sections/context", ok,
                         content_type="application/json").status_code == 200


@pytest.mark.parametrize("amount, message", [
    ("1e309", "no more than"), ("10000000.01", "less than or equal to 10"), ("-5", "greater than or equal to 0"),
    ("12.345", "no more than 2 decimal places")])
def test_an_amount_beyond_the_bounds_gets_a_clear_message_and_is_kept(logged_in, application, amount, message):
    url = reverse("applications:section", args=[application.pk, "design"])
    save(application, "design", wp_data(amounts=("50000.00", amount)), application.created_by)
    page = logged_in.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert message in text and f'value="{amount}"' in text


def test_stored_data_that_is_no_amount_never_breaks_a_page_and_can_be_corrected(logged_in, application):
    # What an older version stored: 1e309 and an infinite lump sum, written straight into the section.
    Section.objects.filter(application=application, key="design").update(data=wp_data(amounts=("50000.00", "1e309")))
    Section.objects.filter(application=application, key="context").update(data=context_data(lump_sum="Infinity"))
    for url in (reverse("applications:detail", args=[application.pk]),
                reverse("applications:section", args=[application.pk, "design"]),
                reverse("applications:section", args=[application.pk, "context"]),
                reverse("applications:submit", args=[application.pk])):
        assert logged_in.get(url).status_code == 200, url
    save(application, "design", wp_data(), application.created_by)  # corrected
    assert "1e309" not in json.dumps(_section(application, "design").data)
    assert logged_in.get(reverse("applications:submit", args=[application.pk])).status_code == 200


# --- uploads checked in depth -------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><body><script>fetch('/accounts/')</script></body></html>"


def test_an_html_annex_is_refused_and_a_pdf_annex_gets_a_generated_name(logged_in, application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.samples import pdf

    url = reverse("applications:section", args=[application.pk, "annexes"])
    response = logged_in.post(url, {"kind": "declaration-on-honour", "file": SimpleUploadedFile("d.html", HTML)})
    assert b"not a PDF, PNG or JPEG" in response.content and not application.annexes.exists()
    scripted = pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    response = logged_in.post(url, {"kind": "declaration-on-honour", "file": SimpleUploadedFile("d.pdf", scripted)})
    assert b"JavaScript" in response.content and not application.annexes.exists()
    logged_in.post(url, {"kind": "declaration-on-honour", "file": SimpleUploadedFile("declaration.html", pdf())})
    annex = application.annexes.get()
    assert "declaration" not in annex.file.name and annex.file.name.endswith(".pdf")
    assert annex.original_name == "declaration.html.pdf"  # downloaded under a name that fits its content


def test_an_html_incident_screenshot_is_refused_and_no_report_is_made(logged_in, clock, application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = logged_in.post(reverse("applications:incident", args=[application.pk]), {
        "description": "The page froze.", "screenshots": [SimpleUploadedFile("shot.png", HTML)]})
    assert b"not a PDF, PNG or JPEG" in response.content and b"The page froze." in response.content
    assert not application.incidents.exists()
