from django import forms
from django.utils.translation import gettext_lazy as _

from eplus.core.forms import amount_field
from eplus.programme.choices import Sector

from .models import AssignmentRole, CaseState, FindingStatus, FormalStatus, Outcome
from .scoring import format_points


EXPERTS_MISSING = "missing"


class FilterForm(forms.Form):
    """The workspace's filters; "fewer than two experts" lists what the home page's queue counts."""

    call = forms.TypedChoiceField(label=_("Call"), coerce=int, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    sector = forms.ChoiceField(label=_("Field"), required=False,
                               choices=[("", _("All fields"))] + list(Sector.choices))
    status = forms.ChoiceField(label=_("Assessment state"), required=False,
                               choices=[("", _("All states"))] + list(CaseState.choices))
    formal = forms.ChoiceField(label=_("Formal check"), required=False,
                               choices=[("", _("All"))] + list(FormalStatus.choices))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All outcomes"))] + [c for c in Outcome.choices if c[0]])
    experts = forms.ChoiceField(
        label=_("Experts"), required=False,
        choices=[("", _("All")), (EXPERTS_MISSING, _("Fewer than two experts"))],
        help_text=_("“Fewer than two experts” lists the applications being assessed that do not have two experts "
                    "yet (an expert who declared a conflict of interest does not count)."))

    def __init__(self, *args, calls=(), actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", _("All calls"))] + [(c.pk, c.choice_label()) for c in calls]
        self.fields["action"].choices = [("", _("All actions"))] + [(a, a) for a in actions]


class FormalCheckForm(forms.Form):
    decision = forms.ChoiceField(label=_("Your conclusion"), widget=forms.RadioSelect, choices=[
        ("eligible", _("Eligible: the assessment can start")),
        ("ineligible", _("Ineligible"))])
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when the application is ineligible or when you do not follow "
                                         "the eligibility engine."))


class AssignForm(forms.Form):
    expert = forms.TypedChoiceField(label=_("Expert"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices)

    def __init__(self, *args, experts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].choices = [("", _("Choose an expert"))] + [
            (p.user_id, f"{p.user.get_full_name()} ({', '.join(p.languages)}; {', '.join(p.sectors)})")
            for p in experts]


class ExpertForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    languages = forms.CharField(label=_("Languages"), help_text=_("Language codes separated by commas, e.g. en, lv."))
    sectors = forms.MultipleChoiceField(label=_("Fields"), choices=Sector.choices,
                                        widget=forms.CheckboxSelectMultiple)


class DeclarationForm(forms.Form):
    no_conflict = forms.ChoiceField(label=_("Your declaration"), widget=forms.RadioSelect, choices=[
        ("yes", _("I have no conflict of interest with this application or its organisations.")),
        ("no", _("I have a conflict of interest."))])
    note = forms.CharField(label=_("Describe the conflict"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Only if you declare a conflict of interest."))


class AssessmentForm(forms.Form):
    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        for code, name, maximum in criteria:
            self.fields[f"score_{code}"] = forms.CharField(
                label=_("%(name)s: score (0 to %(max)s points)") % {"name": name, "max": format_points(maximum)},
                required=False, help_text=_("Whole or half points, e.g. 12.5."),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            self.fields[f"comment_{code}"] = forms.CharField(
                label=_("%(name)s: comment") % {"name": name}, required=False,
                widget=forms.Textarea(attrs={"rows": 3}))


class FindingForm(forms.Form):
    status = forms.ChoiceField(label=_("Your conclusion"), widget=forms.RadioSelect,
                               choices=[(FindingStatus.CLEARED, _("Cleared: not a duplicate")),
                                        (FindingStatus.CONFIRMED, _("Confirmed: duplicate or plagiarism"))])
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


RESERVE_SIZE_MAX = 999


def _skip_to_fit():
    return forms.BooleanField(label=_("When an application does not fit, select the next ones that still fit"),
                              required=False)


def _reserve_size():
    return forms.IntegerField(label=_("Size of the reserve list"), required=False, min_value=0,
                              max_value=RESERVE_SIZE_MAX,
                              help_text=_("Leave empty to put every further fundable application on the reserve "
                                          "list."), widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class SelectionForm(forms.Form):
    skip_to_fit = _skip_to_fit()
    reserve_size = _reserve_size()


class PreviewForm(forms.Form):
    """The what-if of the ranking page: read with GET, nothing is saved (prefixed: the run form beside it has
    the same fields)."""

    prefix = "whatif"
    amount = amount_field(_("Envelope amount (EUR)"), required=False,
                          help_text=_("Leave empty to use what the envelope holds now."))
    skip_to_fit = _skip_to_fit()
    reserve_size = _reserve_size()


class ManualChangeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("New outcome"), choices=[
        c for c in Outcome.choices if c[0] and c[0] != Outcome.DECLINED])
    reason = forms.CharField(label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2}))


class SignedUploadForm(forms.Form):
    file = forms.FileField(label=_("Signed grant agreement (PDF)"))


def add_errors(form, exc):
    """Put a ValidationError raised by a domain function on the form's fields (or on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _reason_field(label, required=True, help_text=""):
    return forms.CharField(label=label, required=required, max_length=2000, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}))


class EnvelopeForm(forms.Form):
    """A new envelope: agency (one the user administers), call, field, amount."""

    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int)
    call = forms.TypedChoiceField(label=_("Call (action and round)"), coerce=int)
    sector = forms.ChoiceField(label=_("Field"), choices=[("", _("Choose a field"))] + list(Sector.choices))
    amount = amount_field(_("Amount (EUR)"))
    reason = _reason_field(_("Source or note"), required=False,
                           help_text=_("Where the amount comes from, e.g. the agency's work programme."))

    def __init__(self, *args, agencies=(), calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.pk, str(a)) for a in agencies]
        if len(self.fields["agency"].choices) != 1:
            self.fields["agency"].choices.insert(0, ("", _("Choose an agency")))
        self.fields["call"].choices = [("", _("Choose a call"))] + [(c.pk, c.choice_label()) for c in calls]


class EnvelopeChangeForm(forms.Form):
    amount = amount_field(_("New amount (EUR)"))
    reason = _reason_field(_("Reason for the change"))


class TransferForm(forms.Form):
    source = forms.TypedChoiceField(label=_("From envelope"), coerce=int)
    target = forms.TypedChoiceField(label=_("To envelope"), coerce=int)
    amount = amount_field(_("Amount to move (EUR)"))
    reason = _reason_field(_("Reason for the transfer"))

    def __init__(self, *args, envelopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(e.pk, e.call.choice_label(e)) for e in envelopes]
        self.fields["source"].choices = [("", _("Choose an envelope"))] + choices
        self.fields["target"].choices = [("", _("Choose an envelope"))] + choices


class DeclineForm(forms.Form):
    reason = _reason_field(_("Why do you decline the grant?"),
                           help_text=_("The agency reads it; the money goes to the next application on the reserve "
                                       "list."))
    confirm = forms.BooleanField(label=_("I decline the grant for this project; this cannot be undone."))


class ReduceGrantForm(forms.Form):
    amount = amount_field(_("New grant (EUR)"))
    reason = _reason_field(_("Reason for awarding less"),
                           help_text=_("The coordinator reads it in the e-mail; the money freed goes back to the "
                                       "envelope."))


class ReserveSelectForm(forms.Form):
    reason = _reason_field(_("Reason"), required=False,
                           help_text=_("Needed only when you pass over a higher-ranked application that fits."))


# --- experts on a final report (issue 14, item 1) ---------------------------------------------------------

class FinalReportAssignForm(forms.Form):
    expert = forms.TypedChoiceField(label=_("Expert"), coerce=int)

    def __init__(self, *args, experts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].choices = [("", _("Choose an expert"))] + [
            (p.user_id, f"{p.user.get_full_name() or p.user.email} ({', '.join(p.languages)}; {', '.join(p.sectors)})")
            for p in experts]


def _final_score_fields(form, labels, *, comments):
    for key, label in labels.items():
        form.fields[f"score_{key}"] = forms.CharField(
            label=_("%(item)s: score (0 to 100)") % {"item": label}, required=False, max_length=8,
            help_text=_("Up to two decimals, e.g. 72.5."), widget=forms.TextInput(attrs={"inputmode": "decimal"}))
        if comments:
            form.fields[f"comment_{key}"] = forms.CharField(
                label=_("%(item)s: comment") % {"item": label}, required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}))


class FinalReviewForm(forms.Form):
    """An expert's scores and comments on a final report: one pair per key of ``final_reports.score_keys``."""

    def __init__(self, *args, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        _final_score_fields(self, labels or {}, comments=True)
        self.keys = list(labels or {})

    def values(self):
        data = self.cleaned_data
        return ({k: data.get(f"score_{k}", "") for k in self.keys},
                {k: data.get(f"comment_{k}", "") for k in self.keys})


class ConsolidationForm(forms.Form):
    """The officer's consolidated scores (pre-filled with the experts' averages) and the assessment's comment."""

    def __init__(self, *args, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        _final_score_fields(self, labels or {}, comments=False)
        self.fields["comments"] = forms.CharField(label=_("Comments of the assessment"), required=False,
                                                  max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
        self.keys = list(labels or {})

    def scores(self):
        return {k: self.cleaned_data.get(f"score_{k}", "") for k in self.keys}
