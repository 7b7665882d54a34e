"""Money is Decimal euros with two places; floats are refused (ARCHITECTURE invariants)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
# The largest amount any input of eplus accepts (a bound against typing errors and hostile input, far above
# every grant the programme data allows), and what a MoneyField column can hold.
MAX_AMOUNT = Decimal("10000000.00")


def eur(value):
    """Decimal euros from an int, a Decimal or a string like '252 475' / '252475.00'."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a string or Decimal")
    if isinstance(value, str):
        value = value.replace("\u00a0", "").replace(" ", "").replace("EUR", "").replace("€", "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # too many digits for the context (e.g. 1e309)
        raise ValueError(f"not an amount of money: {value!r}") from exc


def percent_of(amount, percent):
    """``percent`` % of ``amount``, rounded half-up to the cent."""
    return (eur(amount) * Decimal(percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def split_exactly(total, percents):
    """Split ``total`` by percentages so that the parts add up to the total exactly.

    Rounding differences go to the last part (e.g. the balance payment).
    """
    total = eur(total)
    parts = [percent_of(total, p) for p in percents[:-1]]
    parts.append(total - sum(parts, Decimal("0.00")))
    return parts


def format_eur(amount):
    """'252 475.00 EUR' with a thin non-breaking group separator."""
    return f"{eur(amount):,.2f}".replace(",", "\u202f") + " EUR"


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "eplus.core.money.MoneyField", args, kwargs
