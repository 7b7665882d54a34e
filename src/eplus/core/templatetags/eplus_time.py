from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from eplus.core.time import format_brussels

register = template.Library()


@register.simple_tag
def deadline(instant, suffix):
    """A deadline in Brussels time, plus a slot that eplus.js fills with the reader's local time."""
    ident = f"deadline-{suffix}"
    return format_html(
        '<time datetime="{}" data-local="{}">{}</time> '
        '<span id="{}" class="local-time" hidden data-prefix="{}"></span>',
        instant.isoformat(), ident, format_brussels(instant), ident, _("Your time:"),
    )
