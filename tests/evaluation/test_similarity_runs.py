"""The duplicate and originality check as a background task (issue 11, item 2): the officer starts it,
the page shows that it is waiting or running and then its report; a second click does not start a
second run."""

from django.urls import reverse

from eplus.evaluation.cases import open_cases
from eplus.evaluation.models import SimilarityFinding, SimilarityRun
from tests.evaluation import factories as f

TEXT = ("Apprentices of bakeries learn sourdough methods from master bakers in three countries and publish "
        "their recipes as open educational resources for every vocational school. ") * 3


def test_the_check_runs_once_in_the_background_and_the_page_shows_its_report(
        client, programme, django_capture_on_commit_callbacks):
    a, _b = f.submitted(text=TEXT), f.submitted(text=TEXT)
    f.submitted()
    open_cases()
    client.force_login(f.officer())
    url = reverse("evaluation:similarity", args=[a.call_id])

    with django_capture_on_commit_callbacks() as after_commit:
        assert client.post(url).status_code == 302
        again = client.post(url, follow=True)  # a double click, or a second officer
    assert "already running" in again.content.decode()
    run = SimilarityRun.objects.get()
    assert run.state == SimilarityRun.State.QUEUED and run.requested_by is not None
    waiting = client.get(url).content.decode()
    assert "The check is waiting to start" in waiting and 'hx-trigger="every 3s"' in waiting
    assert SimilarityFinding.objects.count() == 0  # nothing was compared inside the request

    for callback in after_commit:  # the commit: the task worker takes the run
        callback()
    run.refresh_from_db()
    assert run.state == SimilarityRun.State.DONE and run.applications == 3 and run.pairs_found == 1
    assert run.started_at and run.finished_at
    report = client.get(url).content.decode()
    assert "3 applications compared; 1 suspicious pair found." in report
    assert "every 3s" not in report and str(a.number) in report

    status = client.get(url, {"status": "1"}, HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and status["HX-Refresh"] == "true"  # done: the page reloads once

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # a finished run does not block a new one
    assert SimilarityRun.objects.count() == 2 and SimilarityFinding.objects.count() == 1


def test_a_run_that_fails_says_so_and_can_be_started_again(client, programme, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    from eplus.evaluation import findings

    a = f.submitted(text=TEXT)
    open_cases()
    client.force_login(f.officer())
    url = reverse("evaluation:similarity", args=[a.call_id])

    def broken(*args, **kwargs):
        raise RuntimeError("the comparison broke")

    monkeypatch.setattr(findings, "run_similarity", broken)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # the task fails (the queue records it as failed; the page must say so)
    run = SimilarityRun.objects.get()
    assert run.state == SimilarityRun.State.FAILED and "the comparison broke" in run.error
    assert "The last check did not finish" in client.get(url).content.decode()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert SimilarityRun.objects.latest("pk").state == SimilarityRun.State.DONE


def test_other_agencies_and_applicants_cannot_start_it(client, programme):
    a = f.submitted(text=TEXT)
    open_cases()
    url = reverse("evaluation:similarity", args=[a.call_id])
    client.force_login(f.officer("LV02"))
    assert client.post(url).status_code == 404
    assert SimilarityRun.objects.count() == 0
