from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eplus.core.forms import amount_field

from .models import (
    AmendmentKind, CheckKind, CheckStatus, ProposedAction, ReportKind, ReportLanguage, ReportStatus, TerminationOutcome,
)


def _area(rows=5):
    return forms.Textarea(attrs={"rows": rows})


class ReportForm(forms.Form):
    """A report's sections. Nothing is required to save a draft; completeness is checked on submission."""

    language = forms.ChoiceField(label=gettext_lazy("Language of the report"), required=False,
                                 choices=[("", gettext_lazy("Choose Latvian or English"))] + list(ReportLanguage.choices),
                                 help_text=gettext_lazy("Reports are written in Latvian or English."))
    activities = forms.CharField(label=gettext_lazy("Activities carried out (with dates and places)"), required=False,
                                 widget=_area(6))
    participants = forms.CharField(label=gettext_lazy("Participants"), required=False, widget=_area(3),
                                   help_text=gettext_lazy("Who took part, how many, from which organisations."))
    results = forms.CharField(label=gettext_lazy("Results"), required=False, widget=_area(4))
    impact = forms.CharField(label=gettext_lazy("Impact"), required=False, widget=_area(4))
    dissemination = forms.CharField(label=gettext_lazy("Dissemination of the results"), required=False, widget=_area(4))
    prefinancing_used = amount_field(gettext_lazy("Pre-financing used so far (EUR)"), required=False,
                                     help_text=gettext_lazy("In euros, for example 75000.00."))
    declaration = forms.FileField(
        label=gettext_lazy("Declaration on honour"), required=False,
        help_text=gettext_lazy("Signed by the legal representative; a PDF, PNG or JPEG file of at most 15 MB. "
                     "Leave empty to keep the file already attached."))

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.budget_names = []
        for item in (report.sections or {}).get("budget") or []:
            name = f"used_{item['number']}"
            self.fields[name] = amount_field(
                _("Amount used for %(item)s (EUR)") % {"item": item.get("title") or item["number"]},
                help_text=_("Planned: %(amount)s EUR.") % {"amount": item.get("planned")}, required=False)
            self.budget_names.append((name, item))
        if report.kind != ReportKind.INTERIM:
            del self.fields["prefinancing_used"]
        self.document_names = []
        if report.status == ReportStatus.UPDATE_REQUESTED:
            for i, title in enumerate(report.requested_documents or []):
                name = f"document_{i}"
                self.fields[name] = forms.FileField(
                    label=_("%(document)s (asked for by the agency)") % {"document": title}, required=False,
                    help_text=_("A PDF, PNG or JPEG file of at most 15 MB."))
                self.document_names.append((name, title))

    @classmethod
    def initial_for(cls, report):
        sections = report.sections or {}
        initial = {key: sections.get(key, "") for key in ("activities", "participants", "results", "impact",
                                                          "dissemination")}
        initial["language"] = report.language
        initial["prefinancing_used"] = report.prefinancing_used
        for item in sections.get("budget") or []:
            initial[f"used_{item['number']}"] = item.get("used") or None
        return initial

    def sections(self):
        data = self.cleaned_data
        sections = {key: data.get(key, "") or "" for key in ("activities", "participants", "results", "impact",
                                                           "dissemination")}
        budget = []
        for name, item in self.budget_names:
            used = data.get(name)
            budget.append({**item, "used": "" if used is None else f"{used:.2f}"})
        sections["budget"] = budget
        return sections


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (sent to the beneficiary)"), widget=_area(3))
    documents = forms.CharField(
        label=gettext_lazy("Documents to add (one per line)"), required=False, widget=_area(2), max_length=2000,
        help_text=gettext_lazy("Only when you ask for an update, e.g. \"Attendance lists of the pilot courses\". "
                               "A new declaration on honour is always needed."))

    def document_titles(self):
        return [line for line in (self.cleaned_data.get("documents") or "").splitlines() if line.strip()]


class AmendmentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What do you want to change?"),
                             choices=[("", gettext_lazy("Choose"))] + list(AmendmentKind.choices))
    description = forms.CharField(label=gettext_lazy("The change and why it is needed"), widget=_area(4))
    start_date = forms.DateField(label=gettext_lazy("New start date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=gettext_lazy("Only for a change of dates. Pick the date in the calendar or type it as the "
                                                        "field shows it."))
    end_date = forms.DateField(label=gettext_lazy("New end date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=gettext_lazy("Only for a change of dates. Pick the date in the calendar or type it as the "
                                                        "field shows it."))

    partner_action = forms.ChoiceField(
        label=gettext_lazy("Change of partners"), required=False,
        choices=[("", gettext_lazy("Choose")), ("add", gettext_lazy("Add an organisation as partner")),
                 ("remove", gettext_lazy("Remove a partner"))],
        help_text=gettext_lazy("Only for a change of partners."))
    partner_oid = forms.CharField(
        label=gettext_lazy("OID of the organisation"), required=False, max_length=20,
        help_text=gettext_lazy("Only for a change of partners: the organisation ID, for example E10000001."))

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.amount_names = []
        for item in (project.budget_items if project is not None else []):
            name = f"amount_{item['number']}"
            self.fields[name] = amount_field(
                _("New amount of %(item)s (EUR)") % {"item": item.get("title") or item["number"]},
                help_text=_("Only for a change of the split of the budget. Now: %(amount)s EUR.") % {
                    "amount": item.get("amount")}, required=False)
            self.amount_names.append(name)

    def proposed(self):
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == AmendmentKind.DATES:
            return {k: data[k] for k in ("start_date", "end_date") if data.get(k)}
        if kind == AmendmentKind.PARTNERS:
            return {"partner_action": data.get("partner_action", ""), "partner_oid": data.get("partner_oid", "")}
        if kind == AmendmentKind.BUDGET:
            return {name: data[name] for name in self.amount_names if data.get(name) is not None}
        return {}

    def clean(self):
        data = super().clean()
        if data.get("kind") == AmendmentKind.PARTNERS:
            if not data.get("partner_action"):
                self.add_error("partner_action", _("Choose whether a partner is added or removed."))
            if not (data.get("partner_oid") or "").strip():
                self.add_error("partner_oid", _("Give the OID of the organisation."))
        if data.get("kind") == AmendmentKind.BUDGET:
            if not self.amount_names:
                self.add_error("kind", _("The project has no work packages or activities whose budget could be "
                                         "split."))
            for name in self.amount_names:
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give the new amount in euros, for example 50000.00."))
        if data.get("kind") == AmendmentKind.DATES:
            if not data.get("start_date"):
                self.add_error("start_date", _("Give the new start date."))
            if not data.get("end_date"):
                self.add_error("end_date", _("Give the new end date."))
            if data.get("start_date") and data.get("end_date") and data["end_date"] <= data["start_date"]:
                self.add_error("end_date", _("The end date must be after the start date."))
        return data


class AssessmentForm(forms.Form):
    comments = forms.CharField(label=gettext_lazy("Comments of the assessment"), required=False, widget=_area(3))

    def __init__(self, *args, work_packages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.wp_names = []
        if work_packages:
            for item in work_packages:
                name = f"wp_{item['number']}"
                self.fields[name] = forms.DecimalField(
                    label=_("Score of WP%(number)s %(title)s (out of 100)") % {"number": item["number"],
                                                                               "title": item["title"]},
                    min_value=0, max_value=100, max_digits=5, decimal_places=2)
                self.wp_names.append((name, item["number"]))
        else:
            self.fields["overall_score"] = forms.DecimalField(
                label=gettext_lazy("Score of the final report (out of 100)"), min_value=0, max_value=100, max_digits=5,
                decimal_places=2)
        self.order_fields([n for n, _x in self.wp_names] + ["overall_score", "comments"])

    def scores(self):
        if self.wp_names:
            return None, {number: self.cleaned_data[name] for name, number in self.wp_names}
        return self.cleaned_data["overall_score"], None


class PeopleForm(forms.Form):
    """One choice of rights per person who acts for a participating organisation."""

    LEVELS = [("none", gettext_lazy("No access")), ("view", gettext_lazy("View")), ("edit", gettext_lazy("Edit"))]

    def __init__(self, *args, rows=(), me=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in rows:
            user = row["user"]
            if me is not None and user.pk == me.pk:
                continue
            name = f"level_{user.pk}"
            self.fields[name] = forms.ChoiceField(
                label=_("Rights of %(person)s") % {"person": user.get_full_name() or user.email},
                choices=self.LEVELS, initial=row["level"] or "none")
            self.rows.append((name, row))

    def changes(self):
        """[(user, new level)] of the people whose rights change."""
        return [(row["user"], self.cleaned_data[name]) for name, row in self.rows
                if self.cleaned_data[name] != (row["level"] or "none")]


# --- recovery (eplus.projects.recovery) -----------------------------------------------------------

class RepaymentForm(forms.Form):
    """Money received on a debit note; ``request_ref`` is the one-time reference of this form (the same
    form sent twice records one repayment)."""

    amount = amount_field(gettext_lazy("Amount received (EUR)"))
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    request_ref = forms.CharField(widget=forms.HiddenInput, max_length=64)


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for writing off (sent to the beneficiary)"), widget=_area(3),
                             max_length=4000)


# --- termination and checks (eplus.projects.termination, eplus.projects.monitoring) ---------------

class TerminationRequestForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why should the grant be terminated?"), widget=_area(4),
                             max_length=5000)
    effective_date = forms.DateField(label=gettext_lazy("Date the termination should take effect"),
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text=gettext_lazy("Today or later, as YYYY-MM-DD."))


class TerminationNoticeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for the termination (sent to the beneficiary)"),
                             widget=_area(4), max_length=5000,
                             error_messages={"required": gettext_lazy("Give a reason; it is sent to the beneficiary.")})


class ObservationsForm(forms.Form):
    observations = forms.CharField(label=gettext_lazy("Your observations on the notice"), widget=_area(5),
                                   required=False, max_length=10000)
    agrees = forms.BooleanField(label=gettext_lazy("We agree to the termination; it may take effect at once"),
                                required=False)


class ConfirmTerminationForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Effect on the grant"), widget=forms.RadioSelect,
                                choices=TerminationOutcome.choices, error_messages={
                                    "required": gettext_lazy("Choose whether the project is terminated with or "
                                                             "without eligible costs."),
                                    "invalid_choice": gettext_lazy("Choose whether the project is terminated with "
                                                                   "or without eligible costs.")})
    reason = forms.CharField(label=gettext_lazy("The agency's decision (sent to the beneficiary)"), widget=_area(3),
                             required=False, max_length=5000)


class CheckForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CheckKind.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=CheckStatus.choices)
    planned_on = forms.DateField(label=gettext_lazy("Planned for"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    done_on = forms.DateField(label=gettext_lazy("Done on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    report_file = forms.FileField(label=gettext_lazy("Report"), required=False,
                                  help_text=gettext_lazy("A PDF, PNG or JPEG file of at most 15 MB. Leave empty to "
                                                         "keep the file already attached."))
    findings = forms.CharField(label=gettext_lazy("Findings"), widget=_area(5), required=False, max_length=20000)
    proposed_action = forms.ChoiceField(label=gettext_lazy("Proposed action"), choices=ProposedAction.choices)
    proposed_amount = amount_field(gettext_lazy("Proposed amount (EUR)"), required=False,
                                   help_text=gettext_lazy("For a reduction or a recovery, in euros, for example "
                                                          "2500.00."))

    def data_for_domain(self):
        data = dict(self.cleaned_data)
        data.pop("report_file", None)
        return data


class CheckAnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Your answer to the findings"), widget=_area(5), max_length=20000,
                             error_messages={"required": gettext_lazy("Write your answer to the findings.")})


class ClaimForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Grounds of the claim"), widget=_area(6), max_length=10000,
        help_text=gettext_lazy("Say which part of the assessment or which figure you contest, and why; the agency "
                               "reads it with the report."))


class ClaimDecisionForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (sent to the beneficiary; required to reject)"),
                             widget=_area(3), max_length=5000, required=False)


class ReopenDecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening the decision (sent to the beneficiary)"), widget=_area(3),
        max_length=5000, help_text=gettext_lazy("For example a wrong balance, or a result reviewed late."))
