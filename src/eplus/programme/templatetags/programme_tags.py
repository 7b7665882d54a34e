from django import template

from eplus.core.money import format_eur

register = template.Library()


@register.filter
def eur(amount):
    """252475 → '252 475.00 EUR' (empty for no amount)."""
    if amount is None or amount == "":
        return ""
    return format_eur(str(amount))


@register.inclusion_tag("programme/includes/provisional.html")
def provisional_badge(call):
    """``{% provisional_badge call %}``: a "Provisional" badge beside the call's name when its rules are a
    provisional copy (the 2027 calls until their Programme Guide is loaded); nothing otherwise."""
    return {"provisional": bool(getattr(call, "provisional", False))}


@register.inclusion_tag("programme/includes/call_label.html")
def call_label(call):
    """``{% call_label call %}``: "2027 KA220, round 1" with the provisional badge where it applies."""
    return {"call": call, "provisional": bool(getattr(call, "provisional", False))}
