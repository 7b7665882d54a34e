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
