"""The results views per area (issue 10): each declares its permission, a foreign card is a 404, the
beneficiary's editing and the agency's review work through the pages, and flags are idempotent."""

import io

from django.core import mail
from django.urls import reverse

from eplus.core.audit import history
from eplus.results import editing, publishing, rules, workflow
from eplus.results.models import ResultFile, ResultsStatus
from eplus.results.views import editing as editing_views, files as file_views, public as public_views
from eplus.results.views import review as review_views

from .conftest import add_pdf, add_result, card_data, finalised_card_with_secrets
from tests.factories import make_user
from tests.samples import pdf


def test_every_results_view_declares_a_registered_permission_or_public():
    import rules as rules_lib

    for module in (editing_views, file_views, public_views, review_views):
        for name in dir(module):
            view = getattr(module, name)
            if callable(view) and getattr(view, "__module__", "") == module.__name__ and hasattr(view, "permission"):
                assert view.permission is None or rules_lib.perm_exists(view.permission), name
    assert public_views.search_page.permission is None
    assert file_views.result_form.permission == "results.edit_card"


def test_contact_edit_and_delete_through_the_page(client, card, coordinator_user):
    client.force_login(coordinator_user)
    client.post(reverse("results:contact_add", args=[card.identifier]), {"name": "Anna", "email": "a@x.example"})
    contact = card.contacts.get()
    page = client.get(reverse("results:contact_edit", args=[card.identifier, contact.pk]))
    assert page.status_code == 200 and "Anna" in page.content.decode()
    invalid = client.post(reverse("results:contact_edit", args=[card.identifier, contact.pk]), {"name": ""})
    assert invalid.status_code == 200 and card.contacts.get().name == "Anna"
    assert client.post(reverse("results:contact_add", args=[card.identifier]), {"name": ""}).status_code == 400
    client.post(reverse("results:contact_edit", args=[card.identifier, contact.pk]), {"action": "delete"})
    assert not card.contacts.exists()


def test_result_form_edit_file_add_and_delete_through_the_pages(client, card, coordinator_user):
    client.force_login(coordinator_user)
    result = add_result(card, coordinator_user)
    url = reverse("results:result_edit", args=[card.identifier, result.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"title": "Renamed handbook", "result_type": "handbook", "description_en": "New text",
                      "link": "", "public": "on"})
    result.refresh_from_db()
    assert result.title == "Renamed handbook"
    add = reverse("results:file_add", args=[card.identifier, result.pk])
    response = client.post(add, {"file": io.BytesIO(pdf())} | {})
    assert response.status_code == 400  # a file without a name is no upload
    upload = io.BytesIO(pdf())
    upload.name = "extra.pdf"
    assert client.post(add, {"file": upload}).status_code == 302
    record = ResultFile.objects.get(result=result, original_name="extra.pdf")
    bad = io.BytesIO(b"MZ not a document")
    bad.name = "evil.pdf"
    assert client.post(add, {"file": bad}).status_code == 400
    client.post(reverse("results:file_delete", args=[card.identifier, record.pk]))
    assert not ResultFile.objects.filter(pk=record.pk).exists()
    client.post(url, {"action": "delete"})
    assert not card.results.filter(pk=result.pk).exists()


def test_edits_of_a_card_under_review_are_refused_with_a_message(client, card, coordinator_user):
    result = add_result(card, coordinator_user, link="https://handbook.example")
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, coordinator_user)
    client.force_login(coordinator_user)
    for url, data in [
        (reverse("results:website", args=[card.identifier]), {"website": "https://new.example"}),
        (reverse("results:contact_add", args=[card.identifier]), {"name": "Late contact"}),
        (reverse("results:result_edit", args=[card.identifier, result.pk]), {"action": "delete"}),
    ]:
        response = client.post(url, data, follow=True)
        assert response.redirect_chain[-1][0].endswith(reverse("results:edit", args=[card.identifier]))
        assert editing.locked_message() in response.content.decode()
    assert card.results.filter(pk=result.pk).exists() and not card.contacts.exists()


def test_a_foreign_card_is_404_for_every_editing_and_review_view(client, card, coordinator_user, other_officer):
    stranger = make_user("stranger@school.example")
    result = add_result(card, coordinator_user)
    record = add_pdf(result, coordinator_user)
    client.force_login(stranger)
    for url in [reverse("results:edit", args=[card.identifier]),
                reverse("results:result_edit", args=[card.identifier, result.pk]),
                reverse("results:file_add", args=[card.identifier, result.pk]),
                reverse("results:contact_add", args=[card.identifier])]:
        assert client.post(url).status_code == 404, url
    assert client.get(reverse("results:review_queue")).status_code == 404
    client.force_login(other_officer)
    assert client.get(reverse("results:review", args=[card.identifier])).status_code == 404
    assert client.get(reverse("results:download", args=[record.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("results:download", args=[record.pk])).status_code == 404


def test_unpublished_files_download_for_managers_and_the_agency_only(client, card, coordinator_user, officer):
    record = add_pdf(add_result(card, coordinator_user), coordinator_user)
    assert set(rules.downloadable_files(coordinator_user)) == {record}
    assert set(rules.downloadable_files(officer)) == {record}
    assert not rules.downloadable_files(make_user("x@y.example")).exists()
    for user in (coordinator_user, officer):
        client.force_login(user)
        response = client.get(reverse("results:download", args=[record.pk]))
        assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"


def test_review_return_needs_a_comment_and_unknown_decisions_are_404(client, card, coordinator_user, officer):
    add_result(card, coordinator_user, link="https://handbook.example")
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, coordinator_user)
    client.force_login(officer)
    assert client.post(reverse("results:review_decide", args=[card.identifier, "return"]),
                       {"comment": ""}).status_code == 400
    assert client.post(reverse("results:review_decide", args=[card.identifier, "shred"])).status_code == 404
    client.post(reverse("results:review_decide", args=[card.identifier, "return"]), {"return-comment": "Add the video"})
    card.refresh_from_db()
    assert card.results_status == ResultsStatus.RETURNED
    again = client.post(reverse("results:review_decide", args=[card.identifier, "approve"]), follow=True)
    assert "Only results under review" in again.content.decode()
    page = client.get(reverse("results:review_queue"))
    assert page.status_code == 200 and card.identifier in page.content.decode()


def test_flagging_an_unfinalised_card_goes_back_with_a_message(client, card, officer):
    client.force_login(officer)
    response = client.post(reverse("results:flag_good_practice", args=[card.identifier]),
                           {"value": "yes", "next": "/results/agency/"})
    assert response.status_code == 302 and response["Location"] == "/results/agency/"
    response = client.post(reverse("results:flag_good_practice", args=[card.identifier]),
                           {"value": "yes", "next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("results:search")
    card.refresh_from_db()
    assert not card.good_practice


def test_flags_are_idempotent(card, coordinator_user, officer):
    card, _public, _hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    workflow.flag_good_practice(card, officer)
    workflow.flag_good_practice(card, officer)
    assert history(card).filter(verb="flag-good-practice").count() == 1


def test_project_page_offers_what_the_rules_allow(client, card, coordinator_user, officer, commission_user):
    card, _public, _hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    url = reverse("results:project", args=[card.identifier])
    edit, review = reverse("results:edit", args=[card.identifier]), reverse("results:review", args=[card.identifier])
    flag = reverse("results:flag_success_story", args=[card.identifier])
    pages = {}
    for user in (coordinator_user, officer, commission_user):
        client.force_login(user)
        pages[user.pk] = client.get(url).content.decode()
    assert edit in pages[coordinator_user.pk] and review not in pages[coordinator_user.pk]
    assert review in pages[officer.pk] and edit not in pages[officer.pk] and flag not in pages[officer.pk]
    assert flag in pages[commission_user.pk] and edit not in pages[commission_user.pk]


def test_review_mail_goes_once_per_transition(card, coordinator_user, officer, lv01):
    other = publishing.publish_project_card(card_data(lv01, title="Another"))
    assert other.pk != card.pk
    add_result(card, coordinator_user, link="https://handbook.example")
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, coordinator_user)
    sent = len(mail.outbox)
    workflow.approve(card, officer)
    try:
        workflow.approve(card, officer)
    except workflow.TransitionError:
        pass
    assert len(mail.outbox) == sent + 1
