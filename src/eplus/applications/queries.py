"""Read-side questions about an application: its participants, sections and current submission."""

from . import forms as section_forms
from .models import ParticipantRole


def participants(application):
    return list(application.participations.select_related("organisation", "organisation__country"))


def partner_organisations(application):
    """Full participants (applicant and partners): they share the budget of the work packages."""
    return [p.organisation for p in participants(application)
            if p.role in (ParticipantRole.APPLICANT, ParticipantRole.PARTNER)]


def sections(application):
    """{key: Section} in task-list order."""
    found = {s.key: s for s in application.sections.all()}
    return {key: found[key] for key in section_forms.SECTION_KEYS if key in found}


def current_submission(application):
    return application.submissions.filter(is_current=True).first()



def full_organisations(parts):
    """The applicant and partners among ``parts`` (they share the budget of the work packages)."""
    return [p.organisation for p in parts if p.role in (ParticipantRole.APPLICANT, ParticipantRole.PARTNER)]
