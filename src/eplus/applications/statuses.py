"""The status of each section of the task list (not started, in progress, complete, has errors) and the
problems that block a submission.

Statuses are stored, and brought up to date where they can change: a section saved, a partner or an
annex added or removed (:func:`refresh_statuses`), and the programme data edited
(:func:`refresh_open_applications`, run after the change commits). Pages only read them, or compute
them for display (:func:`section_rows`) without writing.
"""

from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.programme import rules as engine

from .eligibility import ENGINE_SECTION, engine_messages, evaluate
from .models import AnnexKind, Application, ParticipantRole, Section, SectionStatus
from .queries import full_organisations, partner_organisations, participants, sections
from .section_data import form_problems


def annex_problems(application, annexes=None, parts=None):
    """Annexes still missing: the declaration on honour and a mandate for each partner."""
    annexes = list(application.annexes.all()) if annexes is None else annexes
    problems = []
    if not any(a.kind == AnnexKind.DECLARATION for a in annexes):
        problems.append(_("Upload the declaration on honour signed by the legal representative of the applicant."))
    mandated = {a.organisation_id for a in annexes if a.kind == AnnexKind.MANDATE}
    for p in (participants(application) if parts is None else parts):
        if p.role == ParticipantRole.PARTNER and p.organisation_id not in mandated:
            problems.append(_("Upload the mandate signed by %(name)s.") % {"name": p.organisation.legal_name})
    return problems, bool(annexes)


def section_state(application, section, verdict, partners=None, annexes=None, parts=None):
    """(status, problems) of one section: problems are messages that block submission."""
    key = section.key
    failed = [c.message for c in engine_messages(verdict, key) if c.severity == engine.model.ERROR
              and c.passed is False]
    if key == "annexes":
        problems, started = annex_problems(application, annexes, parts)
        if not started:
            return SectionStatus.NOT_STARTED, problems
        return (SectionStatus.IN_PROGRESS if problems else SectionStatus.COMPLETE), problems
    if key == "organisations":
        started = section.version > 0
        if failed:
            return (SectionStatus.HAS_ERRORS if started else SectionStatus.NOT_STARTED), failed
        return (SectionStatus.COMPLETE if started else SectionStatus.NOT_STARTED), failed
    missing, errors = form_problems(application, key, section.data, partners)
    problems = failed + [message for _name, message in errors]
    if missing:
        problems.append(_("Fill in every required field of this section."))
    if section.version == 0 and not section.data:
        return SectionStatus.NOT_STARTED, problems or [_("Fill in this section.")]
    if failed or errors:
        return SectionStatus.HAS_ERRORS, problems
    if missing:
        return SectionStatus.IN_PROGRESS, problems
    return SectionStatus.COMPLETE, problems


def refresh_statuses(application, verdict=None):
    """Store each section's status under ``verdict`` (the engine is run when not given): a change of one
    section, a partner or an annex can change the others. Returns (verdict, {key: status})."""
    parts, section_list = participants(application), list(application.sections.all())
    verdict = verdict or evaluate(application, parts=parts,
                                  section_data={s.key: (s.data, s.version) for s in section_list})
    partners, annexes = full_organisations(parts), list(application.annexes.all())
    statuses = {}
    for section in section_list:
        status, _problems = section_state(application, section, verdict, partners, annexes, parts)
        if status != section.status:
            Section.objects.filter(pk=section.pk).update(status=status)
        statuses[section.key] = status
    return verdict, statuses


def blocking_problems(application, verdict, parts=None, section_map=None, annexes=None):
    """[(section key, message)] that stop the submission: every section complete, the engine satisfied.
    ``parts``, ``section_map`` and ``annexes`` may be passed when already loaded."""
    problems = []
    parts = participants(application) if parts is None else parts
    partners = full_organisations(parts)
    section_map = sections(application) if section_map is None else section_map
    annexes = list(application.annexes.select_related("organisation")) if annexes is None else annexes
    for key, section in section_map.items():
        _status, messages = section_state(application, section, verdict, partners, annexes, parts)
        problems += [(key, message) for message in messages]
    for check in verdict.errors:
        if not any(message == check.message for _key, message in problems):
            problems.append((ENGINE_SECTION.get(check.section, "checklist"), check.message))
    return problems



def section_rows(application, verdict):
    """[(key, status, problems)] of the task list, computed from ``verdict`` (nothing is written)."""
    partners = partner_organisations(application)
    return [(key, *section_state(application, section, verdict, partners))
            for key, section in sections(application).items()]


def refresh_open_applications():
    """Bring the stored statuses of every application still open for changes up to date (after an edit
    of the programme data: a priority switched off or a changed rule can change a section's status)."""
    open_ = Application.objects.filter(call__deadline__gt=clock.now()).select_related("call", "action", "agency", "applicant")
    for application in open_.iterator(chunk_size=200):
        refresh_statuses(application)
