"""Form fields every stage shares: an amount of money, bounded (eplus.core.money.MAX_AMOUNT) with clear
messages — no amount beyond it, below zero or with more than two decimals reaches a calculation."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from .money import MAX_AMOUNT


AMOUNT_HINT = gettext_lazy("In euros, for example 24000.00.")


def amount_field(label, *, required=True, help_text=AMOUNT_HINT):
    return forms.DecimalField(label=label, required=required, max_digits=10, decimal_places=2,
                              min_value=Decimal("0"), max_value=MAX_AMOUNT, help_text=help_text)
