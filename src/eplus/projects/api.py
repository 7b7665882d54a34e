"""JSON API of the projects app (django-ninja), mounted by eplus.api.urls at /api/v1/projects/.

Read-only for now: the projects a logged-in user takes part in, with their payments and report deadlines.
The same queryset filters and predicates as the pages (:mod:`eplus.projects.rules`): another
organisation's project is a 404.
"""

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.security import django_auth

from .rules import visible_projects

router = Router(tags=["projects"])


class PaymentOut(Schema):
    kind: str
    amount: str
    at_most: bool
    due: date | None
    status: str
    reason: str


class ReportOut(Schema):
    id: int
    kind: str
    period_start: date
    period_end: date
    due: date
    status: str


# Named apart from the results platform's public ProjectOut: the OpenAPI components share one namespace, and
# two classes of one name would both be documented as the same schema.
class MyProjectOut(Schema):
    id: int
    number: str
    title: str
    status: str
    start_date: date
    end_date: date
    lump_sum: str
    access: str


class Message(Schema):
    detail: str


class MyProjectDetailOut(MyProjectOut):
    payments: list[PaymentOut]
    reports: list[ReportOut]


def _project(project, user):
    access = next((a.level for a in project.accesses.all() if a.user_id == user.pk), "")
    return {"id": project.pk, "number": project.number, "title": project.title, "status": project.status,
            "start_date": project.start_date, "end_date": project.end_date, "lump_sum": f"{project.lump_sum:.2f}",
            "access": access}


@router.get("/", response={200: list[MyProjectOut], 404: Message}, auth=django_auth)
def my_projects(request):
    """The projects the user takes part in (view or edit rights)."""
    if not request.user.has_perm("projects.list_projects"):
        raise Http404
    projects = visible_projects(request.user).prefetch_related("accesses").order_by("end_date", "number")
    return [_project(p, request.user) for p in projects]


# No path converter: a project_id that is no integer gets django-ninja's 422 in JSON, not the site's 404 page.
@router.get("/{project_id}", response={200: MyProjectDetailOut, 404: Message}, auth=django_auth)
def project_detail(request, project_id: int):
    project = get_object_or_404(visible_projects(request.user).prefetch_related("accesses", "payments", "reports"),
                                pk=project_id)
    if not request.user.has_perm("projects.view_project", project):
        raise Http404
    data = _project(project, request.user)
    data["payments"] = [{"kind": p.kind, "amount": f"{p.amount:.2f}", "at_most": p.at_most, "due": p.due,
                         "status": p.status, "reason": p.status_reason} for p in project.payments.all()]
    data["reports"] = [{"id": r.pk, "kind": r.kind, "period_start": r.period_start, "period_end": r.period_end,
                        "due": r.due, "status": r.status} for r in project.reports.all()]
    return data
