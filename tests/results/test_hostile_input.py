"""Control characters in the public search, the public API and public addresses: a clear 400, never a 500
(they reached PostgreSQL, which cannot store or compare NUL)."""

import json

import pytest
from django.urls import reverse


@pytest.mark.parametrize("query", ["%00", "abc%00def", "%1B", "%ED%A0%80"])
def test_the_public_api_search_refuses_control_characters_in_json(client, card, query):
    response = client.get(reverse("api:public_projects") + f"?q={query}")
    if query == "%ED%A0%80":  # not UTF-8: Django decodes it to the replacement character, which is text
        assert response.status_code == 200
        return
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    detail = json.loads(response.content)["detail"]
    assert "“q”" in detail and "U+00" in detail
    assert client.get(reverse("api:public_projects"), {"q": "welding"}).status_code == 200


def test_the_search_page_and_a_project_address_refuse_them_in_the_page(client, card):
    response = client.get(reverse("results:search") + "?q=weld%00ing")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your input could not be accepted" in page and "U+0000" in page and "“q”" in page
    assert client.get(f"/results/p/{card.identifier}%00/").status_code == 400
    assert client.get(reverse("results:search") + "?q%00=x").status_code == 400  # in a name too
    assert client.get(reverse("results:search"), {"q": "tab\tand\nline"}).status_code == 200


# --- uploads checked in depth (the review's accepted uploads, now refused) ------------------------

def _result_post(client, card, upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("results:result_add", args=[card.identifier]), {
        "title": "Teacher guide", "result_type": "handbook", "description_en": "Typed text stays.",
        "link": "", "public": "on", "file": SimpleUploadedFile(*upload)})


@pytest.mark.parametrize("upload, message", [
    (("guide.html", b"<!DOCTYPE html><html><script>document.cookie</script></html>"), "web page"),
    (("guide.pdf", "js"), "JavaScript"),
    (("guide.pdf", "launch"), "starts another program"),
    (("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"), "SVG"),
])
def test_a_public_result_refuses_html_scripted_pdfs_and_svg_and_keeps_what_was_typed(
        client, card, coordinator_user, upload, message):
    from tests.samples import pdf

    bodies = {"js": pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "),
              "launch": pdf(catalog_extra=b"/OpenAction << /S /Launch /F (calc.exe) >> ")}
    client.force_login(coordinator_user)
    response = _result_post(client, card, (upload[0], bodies.get(upload[1], upload[1])))
    page = response.content.decode()
    assert response.status_code == 400 and message in page and "Typed text stays." in page
    assert not card.results.exists()  # no result without its file


def test_a_zip_bomb_is_refused_as_a_public_result(client, card, coordinator_user, tmp_path):
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    bomb = tmp_path / "results.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("data.bin", bytes(200 << 20))  # 200 MB of zeros in a few hundred KB
    client.force_login(coordinator_user)
    response = client.post(reverse("results:result_add", args=[card.identifier]), {
        "title": "Data", "result_type": "handbook", "description_en": "x", "public": "on",
        "file": SimpleUploadedFile("results.zip", bomb.read_bytes())})
    assert response.status_code == 400 and "unpack" in response.content.decode()
    assert not card.results.exists()


def test_a_result_file_is_stored_under_a_generated_name_and_served_as_an_attachment(client, card, coordinator_user):
    from eplus.results.models import ResultFile
    from tests.samples import pdf

    client.force_login(coordinator_user)
    assert _result_post(client, card, ("../Teacher guide <1>.pdf", pdf())).status_code == 302
    record = ResultFile.objects.get()
    assert "guide" not in record.file.name and record.file.name.endswith(".pdf")
    assert record.original_name == "Teacher guide <1>.pdf"
    response = client.get(reverse("results:download", args=[record.pk]))
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_an_svg_logo_is_refused(client, card, coordinator_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(coordinator_user)
    response = client.post(reverse("results:set_logo", args=[card.identifier]), {
        "logo": SimpleUploadedFile("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>")})
    assert "PNG, JPEG, GIF or WebP" in response.content.decode()
    card.refresh_from_db()
    assert not card.logo
