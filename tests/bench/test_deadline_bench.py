"""The pieces of bench/deadline.py: schedule, percentiles, parsing, the database verification, the set-up.

No timing assertions: the figures themselves come from `./run bench deadline`."""

import copy

import pytest

from bench import deadline as bench

DEADLINE = 1_000_000.0


def test_bench_database_url_replaces_only_the_name_and_refuses_other_databases():
    url = bench.bench_database_url("postgres://postgres@127.0.0.1:5432/eplus?sslmode=disable")
    assert url == "postgres://postgres@127.0.0.1:5432/eplus_bench_deadline?sslmode=disable"
    with pytest.raises(ValueError):
        bench.bench_database_url("postgres://postgres@127.0.0.1:5432/eplus", "eplus")
    with pytest.raises(ValueError):
        bench.bench_database_url("sqlite:///var/eplus.sqlite3")


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert bench.percentile(values, 50) == 50
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 100) == 100
    assert bench.percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert bench.percentile([7.0], 99) == 7.0
    assert bench.percentile([], 50) is None


def test_csrf_token_and_submission_id_are_parsed():
    html = '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="abcDEF123"></form>'
    assert bench.csrf_token_from(html) == "abcDEF123"
    assert bench.csrf_token_from("<p>no form</p>") is None
    assert bench.submission_id_from("/applications/12/submissions/345/") == 345
    assert bench.submission_id_from("http://127.0.0.1:8000/en/applications/12/submissions/7/") == 7
    assert bench.submission_id_from("/applications/12/submit/") is None
    assert bench.submission_id_from(None) is None


def test_schedule_puts_every_on_time_action_before_the_deadline_and_late_ones_after():
    plans = bench.make_schedule(300, window=60, saves=4, late=12, last_seconds_share=0.05, resubmit_share=0.1, seed=3)
    assert sorted(p.index for p in plans) == list(range(300))
    late = [p for p in plans if p.late]
    on_time = [p for p in plans if not p.late]
    assert len(late) == 12
    for plan in plans:
        assert len(plan.saves) == 4
        times = [at for at, _key in plan.saves]
        assert times == sorted(times)
        assert all(-60 <= at < 0 for at in times)
        assert all(key in bench.TEXT_SECTIONS or key == "context" for _at, key in plan.saves)
    for plan in on_time:
        assert -60 < plan.submit_at < 0
        assert plan.saves[-1][0] < plan.submit_at
        assert plan.late_save_at is None
        if plan.resubmit:
            save_at, _key, submit_at = plan.resubmit
            assert plan.submit_at < save_at < submit_at < 0
    for plan in late:
        assert 0 < plan.late_save_at < plan.submit_at <= 5
        assert plan.resubmit is None
    last_seconds = [p for p in on_time if p.submit_at >= -2.5]
    assert len(last_seconds) >= round(288 * 0.05)
    assert any(p.resubmit for p in on_time)
    # denser towards the deadline: more submissions in the second half of the window than in the first
    assert sum(p.submit_at > -30 for p in on_time) > sum(p.submit_at <= -30 for p in on_time)


def test_schedule_is_reproducible():
    assert bench.make_schedule(50, seed=9) == bench.make_schedule(50, seed=9)
    assert bench.make_schedule(50, seed=9) != bench.make_schedule(50, seed=10)


def _clean_run():
    """Two applications: app 1 saves twice and submits; app 2 saves once, submits, saves again, resubmits."""
    a1, a2, b = {"impact": "one"}, {"impact": "two"}, {"objectives": "bee"}
    events = [
        bench.Event("save", 1, DEADLINE - 30, 50, 200, key="impact", version=2, data=a1),
        bench.Event("save", 1, DEADLINE - 20, 50, 200, key="impact", version=3, data=a2),
        bench.Event("submit", 1, DEADLINE - 10, 80, 302, submission=11),
        bench.Event("save", 2, DEADLINE - 40, 50, 200, key="summary", version=2, data=b),
        bench.Event("submit", 2, DEADLINE - 35, 80, 302, submission=21),
        bench.Event("save", 2, DEADLINE - 33, 50, 200, key="summary", version=3, data={"objectives": "bee 2"}),
        bench.Event("submit", 2, DEADLINE - 30, 80, 302, submission=22),
        bench.Event("save", 1, DEADLINE + 1, 40, 422, key="impact"),
        bench.Event("submit", 1, DEADLINE + 2, 40, 409, note="closed"),
    ]
    db = bench.DbState(
        deadline=DEADLINE,
        sections={(1, "impact"): a2, (2, "summary"): {"objectives": "bee 2"}},
        versions={(1, "impact", 2): (a1, DEADLINE - 29.9), (1, "impact", 3): (a2, DEADLINE - 19.9),
                  (2, "summary", 2): (b, DEADLINE - 39.9), (2, "summary", 3): ({"objectives": "bee 2"}, DEADLINE - 32.9)},
        submissions=[
            {"id": 11, "app": 1, "submitted_at": DEADLINE - 9.9, "is_current": True, "number": "N1",
             "snapshot_sections": {"impact": {"version": 3, "data": a2}}},
            {"id": 21, "app": 2, "submitted_at": DEADLINE - 34.9, "is_current": False, "number": "N2",
             "snapshot_sections": {"summary": {"version": 2, "data": b}}},
            {"id": 22, "app": 2, "submitted_at": DEADLINE - 29.9, "is_current": True, "number": "N2",
             "snapshot_sections": {"summary": {"version": 3, "data": {"objectives": "bee 2"}}}},
        ],
        numbers={1: "N1", 2: "N2"},
        post_counts={1: 2, 2: 2},
    )
    return events, db


def test_verify_a_clean_run_counts_nothing():
    events, db = _clean_run()
    lost, late, duplicated, details = bench.verify(events, db)
    assert (lost, late, duplicated) == (0, 0, 0)
    assert all(v == 0 for v in details.values())


def test_verify_counts_lost_saves_and_submissions():
    events, db = _clean_run()
    db.sections[(1, "impact")] = {"impact": "one"}  # an older save overwrote the last acknowledged one
    assert bench.verify(events, db)[3]["lost_final_content"] == 1
    events, db = _clean_run()
    db.versions[(1, "impact", 2)] = ({"impact": "something else"}, DEADLINE - 29.9)
    assert bench.verify(events, db)[0] == 1
    events, db = _clean_run()
    db.submissions = [s for s in db.submissions if s["id"] != 11]
    lost, _late, _dup, details = bench.verify(events, db)
    assert details["lost_submissions"] == 1 and lost == 1
    events, db = _clean_run()
    db.submissions[0]["snapshot_sections"] = {"impact": {"version": 2, "data": {"impact": "one"}}}
    assert bench.verify(events, db)[3]["lost_in_snapshot"] == 1
    events, db = _clean_run()
    db.submissions[2]["is_current"] = False
    assert bench.verify(events, db)[3]["lost_not_current"] == 1


def test_verify_counts_late_acceptances():
    events, db = _clean_run()
    db.submissions[0]["submitted_at"] = DEADLINE  # the deadline instant itself is already closed
    assert bench.verify(events, db)[1] == 1
    events, db = _clean_run()
    events[-1] = bench.Event("submit", 1, DEADLINE + 2, 40, 302, submission=11)  # acknowledged though sent late
    db.post_counts[1] = 2
    assert bench.verify(events, db)[3]["late_submissions"] == 1
    events, db = _clean_run()
    db.versions[(1, "impact", 4)] = ({"impact": "late"}, DEADLINE + 0.5)
    assert bench.verify(events, db)[3]["late_saves"] == 1


def test_verify_counts_duplicates():
    events, db = _clean_run()
    db.submissions[1]["is_current"] = True  # two current submissions for application 2
    assert bench.verify(events, db)[3]["duplicated_current"] == 1
    events, db = _clean_run()
    db.numbers[2] = "N1"
    assert bench.verify(events, db)[2] == 1
    events, db = _clean_run()
    extra = copy.deepcopy(db.submissions[0])
    extra.update(id=12, is_current=False)
    db.submissions.append(extra)
    db.post_counts[1] = 1
    assert bench.verify(events, db)[3]["duplicated_rows"] == 1


@pytest.mark.django_db
def test_make_data_sets_up_submittable_applications_with_working_sessions(programme):
    from django.contrib.sessions.backends.db import SessionStore

    from eplus.applications import eligibility, statuses
    from eplus.applications import submission as submitting
    from eplus.applications.models import Application, Section

    call, applicants = bench.make_data(2, words=15, seed=1, log=lambda _message: None)
    assert call.round == 9 and call.action.code == "KA220" and len(applicants) == 2
    for applicant in applicants:
        application = Application.objects.select_related("call", "action", "agency", "applicant").get(pk=applicant.pk)
        assert application.call_id == call.pk
        assert statuses.blocking_problems(application, eligibility.evaluate(application)) == []
        session = SessionStore(session_key=applicant.session_key)
        assert session.get("_auth_user_id") == str(application.created_by_id)
        for key, (version, data) in applicant.sections.items():
            section = Section.objects.get(application=application, key=key)
            assert (section.version, section.data) == (version, data)
        assert len(applicant.csrf) == 32
    submission = submitting.submit(application, application.created_by)
    assert submission.is_current


def test_fictional_text_has_about_the_requested_words():
    import random

    text = bench.fictional_text(random.Random(1), 120)
    assert 100 <= len(text.split()) <= 140 and text.endswith(".")


def test_applicant_outcomes_count_on_time_applicants_refused_by_the_clock():
    events = [
        bench.Event("submit", 1, DEADLINE - 5, 80, 302, submission=11),
        bench.Event("save", 2, DEADLINE - 1, 900, 422, key="impact"),  # sent in time, reached the server late
        bench.Event("submit", 2, DEADLINE - 0.5, 900, 409, note="closed"),
        bench.Event("submit", 3, DEADLINE + 1, 80, 409, note="closed"),  # its earlier requests were slow
        bench.Event("submit", 4, DEADLINE + 2, 40, 409, note="closed", planned_late=True),
    ]
    for event in events:
        event.before_deadline = event.sent < DEADLINE
    out = bench.applicant_outcomes(events)
    assert out == {
        "on_time_applicants": 3, "on_time_applicants_submitted": 1, "on_time_applicants_not_submitted": 2,
        "on_time_applicants_whose_submit_left_late": 1, "sent_before_deadline_refused_saves": 1,
        "sent_before_deadline_refused_submits": 1,
    }


def test_timeline_groups_requests_by_slice_before_the_deadline():
    events = [bench.Event("save", 1, DEADLINE - 12 + i, float(10 * (i + 1)), 200) for i in range(12)]
    slices = bench.timeline(events, DEADLINE, slice_seconds=5)
    assert [s["from_s"] for s in slices] == [-15, -10, -5]  # sent 12 … 1 s before the deadline
    assert [s["requests"] for s in slices] == [2, 5, 5]
    assert slices[1]["p99_ms"] == 70.0 and slices[-1]["p50_ms"] == 100.0


def test_cpu_times_reports_the_time_a_host_took():
    busy, total, steal = bench.cpu_times()
    assert 0 <= busy <= total and 0 <= steal <= total
