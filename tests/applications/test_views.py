import json
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from eplus.applications import creation
from eplus.applications import partners as partnering
from eplus.applications import sections as section_saving
from eplus.applications import submission as submitting
from eplus.applications.models import Application, Section, Submission
from eplus.organisations.models import Role
from tests.factories import make_organisation, make_user, pdf_file

from tests.samples import png_bytes

from .conftest import context_data, make_ready, save

SECTIONS = ("context", "organisations", "relevance", "partnership", "design", "impact", "summary", "annexes",
            "checklist")


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def test_every_page_renders_for_the_applicant(logged_in, application):
    urls = [reverse("applications:mine"), reverse("applications:create"),
            reverse("applications:detail", args=[application.pk]), reverse("applications:submit", args=[application.pk]),
            reverse("applications:share", args=[application.pk]), reverse("applications:history", args=[application.pk]),
            reverse("applications:incident", args=[application.pk])]
    urls += [reverse("applications:section", args=[application.pk, key]) for key in SECTIONS]
    for url in urls:
        response = logged_in.get(url)
        assert response.status_code == 200, url


def test_other_people_get_404_also_for_guessed_urls(client, application):
    client.force_login(make_user())
    for name, args in [("detail", [application.pk]), ("section", [application.pk, "context"]),
                       ("submit", [application.pk]), ("share", [application.pk]), ("history", [application.pk]),
                       ("incident", [application.pk]), ("detail", [application.pk + 1000])]:
        assert client.get(reverse(f"applications:{name}", args=args)).status_code == 404
    response = client.post(reverse("applications:section", args=[application.pk, "impact"]),
                           {"base_version": "0", "impact": "hijack"})
    assert response.status_code == 404
    assert Section.objects.get(application=application, key="impact").data == {}


def test_create_through_the_form(logged_in, clock, ka220, applicant_org):
    response = logged_in.post(reverse("applications:create"),
                              {"organisation": applicant_org.oid, "call": f"{ka220.pk}:VET"})
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == application.get_absolute_url()
    assert application.agency.code == "LV01" and application.sector == "VET"
    response = logged_in.post(reverse("applications:create"), {"organisation": applicant_org.oid, "call": ""})
    assert response.status_code == 200 and b"error-summary" in response.content


def test_save_without_javascript_then_autosave_with_htmx(logged_in, application):
    url = reverse("applications:section", args=[application.pk, "context"])
    response = logged_in.post(url, {"base_version": "0", "action": "save", **context_data(duration_months="99")})
    assert response.status_code == 302
    page = logged_in.get(url).content.decode()
    assert 'value="99"' in page  # kept as typed
    assert "between 12 and 36 months" in page  # the engine's message beside the field
    response = logged_in.post(url, {"base_version": "1", **context_data()}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="base-version" value="2" hx-swap-oob="true"' in body
    assert 'id="eligibility-panel"' in body and "Saved at" in body
    assert Section.objects.get(application=application, key="context").version == 2


def test_conflict_screen_shows_both_and_keep_mine_saves(logged_in, application, coordinator, applicant_org):
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    section_saving.save_section(application, "impact", {"impact": "Theirs text", "dissemination": "", "sustainability": ""},
                          0, colleague)
    url = reverse("applications:section", args=[application.pk, "impact"])
    response = logged_in.post(url, {"base_version": "0", "impact": "My text", "dissemination": "d",
                                    "sustainability": "s"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "Theirs text" in body and "My text" in body
    yours = json.loads(response.context["yours_json"])
    response = logged_in.post(url, {"base_version": "1", "action": "keep-mine", "yours_json": json.dumps(yours)})
    assert response.status_code == 302
    section = Section.objects.get(application=application, key="impact")
    assert section.data["impact"] == "My text" and section.version == 2


def test_autosave_conflict_is_announced(logged_in, application, applicant_org):
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    section_saving.save_section(application, "summary", {"objectives": "theirs"}, 0, colleague)
    response = logged_in.post(reverse("applications:section", args=[application.pk, "summary"]),
                              {"base_version": "0", "objectives": "mine"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"Review both versions" in response.content


def test_design_formset_round_trip(logged_in, application, coordinator, partners):
    save(application, "context", context_data(), coordinator)
    url = reverse("applications:section", args=[application.pk, "design"])
    post = {"base_version": "0", "wp-count": "3"}
    for index, amount in enumerate(["50000", "100000", "100000"]):
        post.update({f"wp-{index}-title": f"WP{index + 1}", f"wp-{index}-objectives": "o",
                     f"wp-{index}-results": "r", f"wp-{index}-indicators": "i", f"wp-{index}-amount": amount})
    assert logged_in.post(url, post).status_code == 302
    data = Section.objects.get(application=application, key="design").data
    assert [item["amount"] for item in data["items"]] == ["50000", "100000", "100000"]
    page = logged_in.get(url).content.decode()
    assert "Work package 1: project management" in page and 'name="wp-3-title"' in page


def test_annex_upload_refuses_executables(logged_in, application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("applications:section", args=[application.pk, "annexes"])
    bad = SimpleUploadedFile("declaration.pdf", b"MZ\x90\x00" + b"\x00" * 50)
    response = logged_in.post(url, {"kind": "declaration-on-honour", "file": bad})
    assert response.status_code == 200 and b"not a PDF, PNG or JPEG" in response.content
    response = logged_in.post(url, {"kind": "declaration-on-honour", "file": pdf_file()})
    assert response.status_code == 302 and application.annexes.count() == 1


def test_submit_view_enqueues_the_pdf_and_never_renders_in_the_request(
        logged_in, application, coordinator, partners, django_capture_on_commit_callbacks):
    make_ready(application, coordinator, partners)
    with django_capture_on_commit_callbacks() as after_commit, \
            mock.patch("weasyprint.HTML", side_effect=AssertionError("WeasyPrint ran in the request")):
        response = logged_in.post(reverse("applications:submit", args=[application.pk]))
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:submitted", args=[application.pk, submission.pk])
    assert not submission.pdf  # queued, not rendered in the request
    for callback in after_commit:  # the commit: the task queue runs the PDF task and sends the receipt
        callback()
    submission.refresh_from_db()
    assert submission.pdf and len(mail.outbox) == 1
    page = logged_in.get(response["Location"]).content.decode()
    assert submission.number in page and "Europe/Riga" in page


def test_submit_after_the_deadline_is_refused_with_a_clear_message(logged_in, clock, application, coordinator,
                                                                  partners):
    from .test_services import _at

    make_ready(application, coordinator, partners)
    clock(_at(12, 0, 0))
    response = logged_in.post(reverse("applications:submit", args=[application.pk]))
    assert response.status_code == 409
    assert b"can no longer be changed or submitted" in response.content
    assert Submission.objects.count() == 0
    page = logged_in.get(reverse("applications:section", args=[application.pk, "impact"])).content.decode()
    assert "The deadline has passed." in page and "hx-post" not in page


def test_share_page(client, logged_in, application, coordinator, partners, partner_user):
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    url = reverse("applications:share", args=[application.pk])
    response = logged_in.post(url, {"email": partner_user.email, "level": "edit"})
    assert response.status_code == 302 and not application.accesses.exists()  # invited, not yet in
    link = mail.outbox[-1].body.split("\n")[3].strip()
    assert mail.outbox[-1].to == [partner_user.email] and "/applications/invitations/" in link
    client.force_login(partner_user)
    assert client.post(link.replace("http://testserver", "")).status_code == 302
    assert application.accesses.get().user == partner_user


def test_json_autosave_api(client, application, coordinator, applicant_org):
    client.force_login(coordinator)
    url = f"/api/v1/applications/{application.pk}/sections/impact"
    response = client.put(url, {"data": {"impact": "API"}, "base_version": 0}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    client.force_login(colleague)
    response = client.put(url, {"data": {"impact": "stale"}, "base_version": 0}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["theirs"] == {"impact": "API"} and response.json()["yours"] == {"impact": "stale"}
    client.force_login(make_user())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_my_applications_list_query_count_does_not_grow(client, clock, ka220, coordinator, count,
                                                        django_assert_max_num_queries):
    for _ in range(count):
        org = make_organisation("LV", member=coordinator)
        creation.create_application(coordinator, org, ka220, "VET")
    client.force_login(coordinator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("applications:mine"))
    assert response.content.decode().count("Untitled application") == count


@pytest.mark.parametrize("count", [1, 3])
def test_history_query_count_does_not_grow(logged_in, application, coordinator, count, django_assert_max_num_queries):
    for index in range(count):
        save(application, "impact", {"impact": f"v{index}"}, coordinator)
    with django_assert_max_num_queries(10):
        response = logged_in.get(reverse("applications:history", args=[application.pk]))
    assert response.status_code == 200


def test_incident_report_reaches_the_agency_only(logged_in, clock, application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eplus.programme.models import Agency
    from tests.factories import make_officer

    response = logged_in.post(reverse("applications:incident", args=[application.pk]), {
        "description": "The page froze at 11:55.",
        "screenshots": [SimpleUploadedFile("a.png", png_bytes())]})
    assert response.status_code == 302
    report = application.incidents.get()
    assert report.reported_at == clock.state["now"] and report.screenshots.count() == 1
    officer, other = make_officer(application.agency), make_officer(Agency.objects.get(code="LT01"))
    logged_in.force_login(officer)
    page = logged_in.get(reverse("applications:agency_incidents"))
    assert page.status_code == 200 and b"The page froze" in page.content
    shot = report.screenshots.get()
    assert logged_in.get(reverse("applications:incident_file", args=[report.pk, shot.pk])).status_code == 200
    logged_in.force_login(other)
    assert b"The page froze" not in logged_in.get(reverse("applications:agency_incidents")).content
    assert logged_in.get(reverse("applications:incident_file", args=[report.pk, shot.pk])).status_code == 404
    logged_in.force_login(make_user())
    assert logged_in.get(reverse("applications:agency_incidents")).status_code == 404


def test_withdraw_view(logged_in, clock, application, coordinator, partners, django_capture_on_commit_callbacks):
    from tests.organisations.conftest import mark_reauthenticated

    make_ready(application, coordinator, partners)
    submitting.submit(application, coordinator)
    mark_reauthenticated(logged_in, coordinator)
    response = logged_in.post(reverse("applications:withdraw", args=[application.pk]), {"reason": "Plans changed"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert not Submission.objects.filter(application=application, is_current=True).exists()


def test_the_share_form_answers_the_same_for_every_address_and_the_invitation_decides(
        client, logged_in, application, coordinator, partners, partner_user):
    """No account enumeration: a member of a partner, a person who acts for no organisation of the
    application and an address without an account all get the same answer and an invitation by e-mail."""
    from eplus.applications.models import ShareInvitation

    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    outsider = make_user()
    url = reverse("applications:share", args=[application.pk])
    answers = []
    for email in (partner_user.email, outsider.email, "nobody@unknown.example"):
        response = logged_in.post(url, {"email": email, "level": "view"}, follow=True)
        page = response.content.decode()
        said = page[page.index('<main'):page.index('<section')].replace(email, "ADDRESS")  # messages, errors
        answers.append((response.redirect_chain, said, "error-summary" in page))
        assert mail.outbox[-1].to == [email] and email in page.split("Invitations not accepted yet")[1]
    assert answers[0] == answers[1] == answers[2]
    assert "An invitation was sent to ADDRESS" in answers[0][1] and answers[0][2] is False
    assert not application.accesses.exists()
    invitations = {i.email: i for i in ShareInvitation.objects.all()}
    # Accepting decides: another address is refused, a person of no organisation of the application is
    # told what to do, the partner's member gets the access (once, however often the button is pressed).
    accept = reverse("applications:invitation", args=[invitations[partner_user.email].token])
    client.force_login(outsider)
    response = client.post(accept)
    assert response.status_code == 400 and "another e-mail address" in response.content.decode()
    response = client.post(reverse("applications:invitation", args=[invitations[outsider.email].token]))
    assert response.status_code == 400 and "does not act for any organisation" in response.content.decode()
    client.force_login(partner_user)
    assert client.post(accept).status_code == 302 and client.post(accept).status_code == 302
    assert [(a.user, a.level) for a in application.accesses.all()] == [(partner_user, "view")]
    # The invitations not accepted can be withdrawn.
    logged_in.force_login(coordinator)  # (the same client)
    logged_in.post(url, {"withdraw": invitations["nobody@unknown.example"].pk})
    assert not ShareInvitation.objects.filter(email="nobody@unknown.example").exists()
    assert client.get(reverse("applications:invitation", args=["no-such-token"])).status_code == 404
