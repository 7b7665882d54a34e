"""``{% load organisations_tags %}``: how an organisation is identified in an action.

``{{ organisation|identifier_for:action }}`` → ``"PIC 949123456"`` in a centralised action (managed by
the executive agency) when the organisation recorded its PIC, otherwise its OID (``"E10234567"``).
"""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def identifier_for(organisation, action=None):
    if organisation is None:
        return ""
    if getattr(action, "is_centralised", False) and getattr(organisation, "pic", ""):
        return gettext("PIC %(pic)s") % {"pic": organisation.pic}
    return organisation.oid
