"""JSON API of the evaluation app (django-ninja), mounted by eplus.api.urls at /api/v1/agency/.

Read-only lists with the same scoping as the pages: an officer sees their agency's cases, an expert their
own assignments (a logged-in session; MFA is enforced at log-in for both).
"""

from decimal import Decimal

from django.http import Http404
from ninja import Router, Schema
from ninja.security import django_auth

from .queries import workspace_cases
from .rules import expert_assignments, officer_cases

router = Router(tags=["evaluation"])


class CaseOut(Schema):
    id: int
    number: str
    title: str
    action: str
    sector: str
    formal_status: str
    state: str
    final_total: Decimal | None = None
    fundable: bool | None = None
    rank: int | None = None
    outcome: str


class Message(Schema):
    detail: str


class AssignmentOut(Schema):
    id: int
    number: str
    role: str
    declared: bool
    submitted: bool


@router.get("/cases", response={200: list[CaseOut], 404: Message}, auth=django_auth,
            description="The cases of the signed-in officer's agencies; 404 for anyone without the back office.")
def cases(request, call: int | None = None, action: str = "", sector: str = "", state: str = ""):
    if not request.user.has_perm("evaluation.use_back_office"):
        raise Http404  # the back office is not there for anyone else, as on the pages
    queryset = officer_cases(request.user)
    if call:
        queryset = queryset.filter(call_id=call)
    rows = workspace_cases(queryset, action=action, sector=sector, status=state)
    return [CaseOut(id=c.pk, number=c.application.number or "", title=c.application.title,
                    action=c.application.action.code, sector=c.sector, formal_status=c.formal_status, state=c.state,
                    final_total=c.final_total, fundable=c.fundable, rank=c.rank, outcome=c.outcome) for c in rows]


@router.get("/assignments", response={200: list[AssignmentOut], 404: Message}, auth=django_auth,
            description="The signed-in expert's assignments; 404 for anyone who is no expert.")
def assignments(request):
    if not request.user.has_perm("evaluation.list_assignments"):
        raise Http404
    rows = expert_assignments(request.user).select_related("case__application", "assessment")
    return [AssignmentOut(id=a.pk, number=a.case.application.number or "", role=a.role,
                          declared=a.declared_at is not None,
                          submitted=bool(getattr(a, "assessment", None) and a.assessment.submitted_at))
            for a in rows]
