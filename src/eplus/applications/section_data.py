"""A section's data in and out of its form: parse a POST, bind a form, list what is missing."""

from . import forms as section_forms
from .eligibility import call_rules
from .queries import partner_organisations


def _form_kwargs(application, key):
    kwargs = {"application": application} if key in ("context", "relevance") else {}
    if key == "relevance":
        kwargs["priority_codes"] = call_rules(application).priorities or None
    return kwargs


def section_form(application, key, data=None, bound=True):
    """The form of a simple section bound to ``data`` (or unbound)."""
    cls, kwargs = section_forms.SIMPLE_FORMS[key], _form_kwargs(application, key)
    if not bound:
        return cls(initial=data or {}, **kwargs)
    return section_forms.bind(cls, data, **kwargs)


def post_to_data(application, key, post):
    """A section's data from a submitted form, exactly as typed."""
    if key == "design":
        return section_forms.items_from_post(application, post, partner_organisations(application))
    return section_forms.data_from_post(section_forms.SIMPLE_FORMS[key], post, **_form_kwargs(application, key))


def form_problems(application, key, data, partners=None):
    """(missing, errors) of a section's data against its form: missing required fields, real errors."""
    if key == "design":
        partners = partner_organisations(application) if partners is None else partners
        missing, errors = [], []
        forms_ = section_forms.item_forms(application, data, partners, extra=0)
        if not forms_:
            missing.append("items")
        for index, form in enumerate(forms_):
            m, e = section_forms.split_errors(form)
            missing += [f"{index}-{name}" for name in m]
            errors += [(f"{index}-{name}" if name else str(index), msg) for name, msg in e]
        return missing, errors
    if key in section_forms.SIMPLE_FORMS:
        return section_forms.split_errors(section_form(application, key, data))
    return [], []

