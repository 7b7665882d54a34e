"""Who hears about a card's review, and the e-mail they get (through core.mail)."""

from django.conf import settings

from eplus.core.mail import language_of, queue_templated_mail
from eplus.organisations.models import MANAGER_ROLES
from eplus.programme.scoping import agency_staff


def coordinator_recipients(card):
    """Users who manage the card: legal representatives and contact persons of the coordinator. Nobody
    for a project imported from the Commission's lists: it is a record, outside the beneficiaries'
    workflows (no invitations, reminders or review e-mails)."""
    if not card.coordinator_id or getattr(card, "imported_at", None) is not None:
        return []
    return [m.user for m in card.coordinator.memberships.filter(role__in=MANAGER_ROLES).select_related("user")]


def agency_recipients(card):
    """Active staff of the card's agency."""
    if not card.agency_id:
        return []
    return agency_staff(card.agency_id)


def send_card_mail(card, template, recipients, extra=None):
    link = settings.SITE_URL.rstrip("/")
    for user in recipients:
        context = {"card": card, "user": user, "site": link, **(extra or {})}
        queue_templated_mail(f"results/email/{template}", context, user.email, language_of(user), related=card,
                             agency_code=card.agency.code if card.agency_id else "")
    return len(recipients)
