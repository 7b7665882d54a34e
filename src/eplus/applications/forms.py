"""Forms of the application sections. Section data is stored exactly as typed (strings and lists), and
bound to these forms to show messages; a missing required value means "not complete yet", any other
form error means "has errors"."""

from decimal import Decimal

from django import forms
from django.conf import global_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eplus.core.forms import amount_field

from . import refdata
from .models import AccessLevel, AnnexKind, ParticipantRole

# The order of the task list.
SECTION_KEYS = ("context", "organisations", "relevance", "partnership", "design", "impact", "summary",
                "annexes", "checklist")
SECTION_TITLES = {
    "context": gettext_lazy("Context"),
    "organisations": gettext_lazy("Participating organisations"),
    "relevance": gettext_lazy("Relevance of the project"),
    "partnership": gettext_lazy("Partnership and cooperation arrangements"),
    "design": gettext_lazy("Project design and implementation"),
    "impact": gettext_lazy("Impact"),
    "summary": gettext_lazy("Project summary (in English)"),
    "annexes": gettext_lazy("Annexes"),
    "checklist": gettext_lazy("Checklist"),
}
# Sections whose content is a form saved through save_section (the others have their own actions).
FORM_SECTIONS = ("context", "relevance", "partnership", "design", "impact", "summary", "checklist")

EU_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "is", "it", "lt",
                "lv", "mk", "mt", "nb", "nl", "pl", "pt", "ro", "sk", "sl", "sr", "sv", "tr")


def _language_choices():
    names = dict(global_settings.LANGUAGES)
    return [("", _("Choose a language"))] + [(code, _(names[code])) for code in EU_LANGUAGES if code in names]


def _area(rows=5):
    return forms.Textarea(attrs={"rows": rows})


class ContextForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language used to fill in the form"), choices=())
    title = forms.CharField(label=gettext_lazy("Project title"), max_length=255)
    start_date = forms.DateField(label=gettext_lazy("Project start date"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=gettext_lazy("Write the date as YYYY-MM-DD."))
    duration_months = forms.IntegerField(label=gettext_lazy("Project duration in months"), min_value=1, max_value=120)
    lump_sum = forms.ChoiceField(label=gettext_lazy("Lump sum"), choices=())

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        call = application.call
        self.fields["language"].choices = _language_choices()
        self.fields["lump_sum"].choices = [("", _("Choose the lump sum"))] + [
            (str(amount), f"{amount:,.2f} EUR".replace(",", "\u202f")) for amount in call.lump_sums]
        if call.duration_min_months and call.duration_max_months:
            self.fields["duration_months"].help_text = _("Between %(min)d and %(max)d months.") % {
                "min": call.duration_min_months, "max": call.duration_max_months}
        if call.start_earliest and call.start_latest:
            self.fields["start_date"].help_text = _(
                "Write the date as YYYY-MM-DD; projects of this call start between %(from)s and %(to)s.") % {
                "from": call.start_earliest.isoformat(), "to": call.start_latest.isoformat()}


class RelevanceForm(forms.Form):
    priorities = forms.MultipleChoiceField(
        label=gettext_lazy("Priorities the project addresses"), widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Choose at least one horizontal priority or priority of your sector."))
    topics = forms.MultipleChoiceField(label=gettext_lazy("Topics"), widget=forms.CheckboxSelectMultiple, required=False)
    needs = forms.CharField(label=gettext_lazy("Needs the project addresses"), widget=_area())
    objectives = forms.CharField(label=gettext_lazy("Objectives of the project"), widget=_area())

    def __init__(self, *args, application, priority_codes=None, **kwargs):
        super().__init__(*args, **kwargs)
        call = application.call
        priorities = refdata.active_priorities(application)  # memoised per programme data version
        if priority_codes is not None:
            wanted = set(priority_codes)
            priorities = [p for p in priorities if p.code in wanted]
        self.fields["priorities"].choices = [(p.code, p.display_name) for p in priorities]
        if call.max_topics:
            topics = refdata.active_topics(application)
            self.fields["topics"].choices = [(t.code, t.display_name) for t in topics]
            self.fields["topics"].required = True
            self.fields["topics"].help_text = _("Choose up to %(max)d topics.") % {"max": call.max_topics}
        else:
            del self.fields["topics"]


class PartnershipForm(forms.Form):
    formation = forms.CharField(label=gettext_lazy("How the partnership was formed and what each partner brings"),
                                widget=_area())
    cooperation = forms.CharField(label=gettext_lazy("How tasks are shared and how the partners communicate"),
                                  widget=_area())


class ImpactForm(forms.Form):
    impact = forms.CharField(label=gettext_lazy("Expected impact on participants and organisations"), widget=_area())
    dissemination = forms.CharField(label=gettext_lazy("How the results will be shared"), widget=_area())
    sustainability = forms.CharField(label=gettext_lazy("How the results will be used after the project"), widget=_area())


class SummaryForm(forms.Form):
    objectives = forms.CharField(label=gettext_lazy("Objectives (in English)"), widget=_area(4))
    implementation = forms.CharField(label=gettext_lazy("Implementation (in English)"), widget=_area(4))
    results = forms.CharField(label=gettext_lazy("Results (in English)"), widget=_area(4))


class ChecklistForm(forms.Form):
    confirm_accurate = forms.BooleanField(label=gettext_lazy("I confirm that the information in this application is correct."))
    confirm_declaration = forms.BooleanField(
        label=gettext_lazy("I confirm that the legal representative has signed the declaration on honour."))


class WorkPackageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    objectives = forms.CharField(label=gettext_lazy("Objectives"), widget=_area(3))
    activities = forms.CharField(label=gettext_lazy("Activities"), widget=_area(3), required=False)
    results = forms.CharField(label=gettext_lazy("Expected results"), widget=_area(3))
    indicators = forms.CharField(label=gettext_lazy("Indicators"), widget=_area(2))
    amount = amount_field(gettext_lazy("Amount of the work package"))

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_fields = []
        for organisation in partners:
            name = f"partner_{organisation.oid}"
            self.fields[name] = amount_field(_("Share of %(name)s") % {"name": organisation.legal_name},
                                             required=False, help_text=None)
            self.partner_fields.append(name)

    def clean(self):
        data = super().clean()
        shares = [data.get(name) for name in self.partner_fields if data.get(name) is not None]
        if shares and data.get("amount") is not None and sum(shares, Decimal("0")) != data["amount"]:
            raise forms.ValidationError(
                _("The partners' shares add up to %(total)s EUR but the work package amount is %(amount)s EUR; "
                  "make them add up exactly.") % {"total": sum(shares, Decimal("0")), "amount": data["amount"]},
                code="shares")
        return data


class ActivityForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    description = forms.CharField(label=gettext_lazy("Description"), widget=_area(3))
    start = forms.DateField(label=gettext_lazy("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label=gettext_lazy("Venue (city and country)"), max_length=255)
    participants = forms.IntegerField(label=gettext_lazy("Number of participants"), min_value=0, max_value=100000)
    amount = amount_field(gettext_lazy("Amount of the activity"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date must be on or after the start date."))
        return data


SIMPLE_FORMS = {
    "context": ContextForm, "relevance": RelevanceForm, "partnership": PartnershipForm, "impact": ImpactForm,
    "summary": SummaryForm, "checklist": ChecklistForm,
}


# --- design: a list of work packages or activities ------------------------------------------------------

def design_kind(call):
    return (call.structure or {}).get("kind") or "work-packages"


def design_prefix(call):
    return "wp" if design_kind(call) == "work-packages" else "act"


def design_form_class(call):
    return WorkPackageForm if design_kind(call) == "work-packages" else ActivityForm


def item_forms(application, data, partners=(), extra=1):
    """Bound forms for the items stored in ``data`` (+ ``extra`` blank unbound ones for new items)."""
    cls = design_form_class(application.call)
    prefix = design_prefix(application.call)
    kwargs = {"partners": partners} if cls is WorkPackageForm else {}
    items = list((data or {}).get("items") or [])
    result = []
    for index, item in enumerate(items):
        result.append(cls({f"{prefix}-{index}-{k}": v for k, v in item.items()}, prefix=f"{prefix}-{index}",
                          **kwargs))
    for index in range(len(items), len(items) + extra):
        result.append(cls(prefix=f"{prefix}-{index}", **kwargs))
    return result


def items_from_post(application, post, partners=()):
    """The list of items typed in a POST (blank new items and removed ones left out)."""
    cls = design_form_class(application.call)
    prefix = design_prefix(application.call)
    names = list(cls.base_fields) + [f"partner_{o.oid}" for o in partners if cls is WorkPackageForm]
    try:
        count = min(int(post.get(f"{prefix}-count", "0")), 50)
    except ValueError:
        count = 0
    items = []
    for index in range(count):
        key = f"{prefix}-{index}"
        if post.get(f"{key}-delete"):
            continue
        item = {name: post.get(f"{key}-{name}", "").strip() for name in names}
        if not any(item.values()):
            continue
        items.append(item)
    return {"items": items}


# --- raw data ----------------------------------------------------------------------------------------

def data_from_post(form_class, post, **kwargs):
    """The values typed in a POST for the form's fields, exactly as typed (lists for multiple choices)."""
    form = form_class(**kwargs)
    data = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            data[name] = [v for v in post.getlist(name) if v]
        elif isinstance(field, forms.BooleanField):
            data[name] = bool(post.get(name))
        else:
            data[name] = (post.get(name) or "").strip()
    return data


def bind(form_class, data, **kwargs):
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in (data or {}).items()}
    return form_class(data, **kwargs)


def split_errors(form):
    """(missing required fields, real errors) of a bound form; errors as [(field name or "", message)]."""
    missing, errors = [], []
    for name, problems in form.errors.as_data().items():
        for problem in problems:
            if problem.code == "required":
                missing.append(name)
            else:
                errors.extend((name if name != "__all__" else "", message) for message in problem.messages)
    return missing, errors


# --- other pages -------------------------------------------------------------------------------------

class CreateForm(forms.Form):
    organisation = forms.ChoiceField(label=gettext_lazy("Applicant organisation"))
    call = forms.ChoiceField(label=gettext_lazy("Action and call"),
                             help_text=gettext_lazy("Only calls still open for applications are listed."))

    def __init__(self, *args, organisations=(), calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("Choose an organisation"))] + [
            (o.oid, f"{o.legal_name} ({o.oid})") for o in organisations]
        choices = [("", _("Choose an action and call"))]
        for call in calls:
            sectors = call.action.sectors or [""]
            for sector in sectors:
                label = f"{call.action.code}{'-' + sector if sector else ''} — {call.action.display_name} " \
                        f"({call.year}, {_('round')} {call.round})"
                if call.provisional:
                    label = f"{label} — {_('Provisional')}"
                choices.append((f"{call.pk}:{sector}", label))
        self.fields["call"].choices = choices


class ParticipantForm(forms.Form):
    oid = forms.CharField(label=gettext_lazy("Organisation ID (OID)"), max_length=9,
                          help_text=gettext_lazy("The OID has an E followed by 8 digits, for example E10234567."))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=[
        (ParticipantRole.PARTNER, ParticipantRole.PARTNER.label),
        (ParticipantRole.ASSOCIATED_PARTNER, ParticipantRole.ASSOCIATED_PARTNER.label)])


class ShareForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address of the person"),
                             help_text=gettext_lazy("We e-mail them a link. They get access when they follow it, signed in "
                                         "with this address and acting for a participating organisation."))
    level = forms.ChoiceField(label=gettext_lazy("Access"), choices=[(AccessLevel.VIEW, AccessLevel.VIEW.label),
                                                            (AccessLevel.EDIT, AccessLevel.EDIT.label)])


class AnnexForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of annex"), choices=AnnexKind.choices)
    organisation = forms.ChoiceField(label=gettext_lazy("Partner (for a mandate)"), required=False)
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy("PDF, PNG or JPEG, at most 15 MB."))

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("Not a mandate"))] + [
            (o.oid, f"{o.legal_name} ({o.oid})") for o in partners]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class IncidentForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("What happened?"), widget=_area(6),
                                  help_text=gettext_lazy("Describe the problem, when it happened and what you saw."))
    screenshots = MultipleFileField(label=gettext_lazy("Screenshots"), required=False,
                                    help_text=gettext_lazy("PNG, JPEG or PDF files, at most 15 MB each."))


class IncidentDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect, choices=[
        ("accept", gettext_lazy("Accept: the applicant may still submit")), ("reject", gettext_lazy("Reject"))])
    reason = forms.CharField(label=gettext_lazy("Reason (the applicant reads it; needed to reject)"), required=False,
                             widget=_area(3))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why do you withdraw the application? (optional)"), required=False,
                             widget=_area(3))
