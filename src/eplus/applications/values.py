"""Tolerant parsers of the values typed in a section: a half-typed date is "not yet", never an error."""

from datetime import date

from eplus.core.money import eur


def parse_date(value):
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_int(value):
    try:
        return int(str(value).strip()) if str(value or "").strip() else None
    except ValueError:
        return None


def parse_money(value):
    try:
        return eur(str(value)) if str(value or "").strip() else None
    except (ValueError, TypeError):
        return None
