from django import template

from eplus.core.money import format_eur

from ..models import ResultType, ResultsStatus

register = template.Library()


@register.filter
def result_type_label(value):
    return dict(ResultType.choices).get(value, value)


@register.filter
def results_status_label(value):
    return dict(ResultsStatus.choices).get(value, value)


@register.filter
def eur(value):
    return format_eur(value) if value is not None else ""


@register.inclusion_tag("results/_link_notice.html")
def link_notice(broken, url):
    """``{% link_notice broken url %}``: "link reported broken on DATE" when the sweep found ``url`` broken
    (``broken`` is ``links.broken_links`` of the page's card); nothing otherwise."""
    return {"since": (broken or {}).get(url)}


@register.filter
def web_url(value):
    """``value`` when it is an http(s) address, else "" — a stored website or link (some come from imported
    files) never becomes a ``javascript:`` or other link on a public page."""
    text = (value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""
