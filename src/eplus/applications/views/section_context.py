"""The context of a section page and of its autosave answer (shared by the section, partner and annex
handlers)."""

from django.shortcuts import render

from eplus.core import time as clock

from .. import forms as F
from ..eligibility import engine_messages
from ..queries import partner_organisations, participants
from ..section_data import form_problems, section_form
from ..statuses import blocking_problems, section_state
from .common import page_context


def panel_context(verdict, key):
    checks = engine_messages(verdict, key)
    by_field = {}
    for check in checks:
        by_field.setdefault(check.field, []).append(check)
    return {"section_checks": checks, "checks_by_field": by_field}


def mandate_partners(application):
    """The partners who sign a mandate (associated partners do not)."""
    return [p.organisation for p in participants(application) if p.role == "partner"]


def section_context(request, application, section, data=None, base_version=None, theirs=None):
    key = section.key
    context = page_context(application)
    verdict = context["verdict"]
    status, problems = section_state(application, section, verdict)
    data = section.data if data is None else data
    started = bool(data) or section.version > 0
    context.update(panel_context(verdict, key))
    context.update(section=section, key=key, title=F.SECTION_TITLES[key], status=status, problems=problems,
                   base_version=section.version if base_version is None else base_version, theirs=theirs)
    if key == "design":
        partners = partner_organisations(application)
        editable = request.user.has_perm("applications.edit_section", application)
        items = F.item_forms(application, data, partners, extra=1 if editable else 0)
        context.update(items=items, prefix=F.design_prefix(application.call), kind=F.design_kind(application.call),
                       item_count=len(items), partners=partners)
    elif key in F.SIMPLE_FORMS:
        context["form"] = section_form(application, key, data, bound=started)
    elif key == "organisations":
        context.update(participants=participants(application), add_form=F.ParticipantForm())
    elif key == "annexes":
        context.update(annexes=list(application.annexes.select_related("organisation")),
                       annex_form=F.AnnexForm(partners=mandate_partners(application)))
    if key == "checklist":
        context["blocking"] = blocking_problems(application, verdict)
    return context


def render_section(request, application, section, **overrides):
    """The section page again (after a refused partner or annex form), with ``overrides`` in the context."""
    context = section_context(request, application, section)
    context.update(overrides)
    return render(request, "applications/section.html", context)


def autosave_response(request, application, result):
    context = page_context(application, getattr(result, "verdict", None))
    section = result.section
    context.update(panel_context(context["verdict"], section.key))
    status, problems = section_state(application, section, context["verdict"])
    form_errors = []
    if not result.conflict:
        _missing, form_errors = form_problems(application, section.key, section.data)
    context.update(result=result, section=section, key=section.key, status=status, problems=problems,
                   form_errors=form_errors, now=clock.now())
    return render(request, "applications/_autosave.html", context)
