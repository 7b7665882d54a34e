from django import template

from eplus.core.money import format_eur

register = template.Library()


@register.filter
def eur(amount):
    """252475 → '252 475.00 EUR' (empty for no amount)."""
    if amount is None or amount == "":
        return ""
    return format_eur(str(amount))
