"""Forms of the programme pages: confirming or correcting a figure the data marks "verify"."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

OUTCOMES = [("confirm", gettext_lazy("Confirm: the figure is right")),
            ("correct", gettext_lazy("Correct: the figure is wrong, use the value below"))]


class FigureDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Your decision"), choices=OUTCOMES, widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose whether you confirm or correct the figure."),
                        "invalid_choice": gettext_lazy("Choose whether you confirm or correct the figure.")},
    )
    value = forms.CharField(
        label=gettext_lazy("Correct value"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=gettext_lazy("Only when you correct it: the value in the same form as the current one "
                               "(a number such as 24, a list in [ ] or an object in { })."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Source or reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=gettext_lazy("Where the figure is confirmed, e.g. the Programme Guide's part and page. "
                               "Required for a correction."),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "correct" and not (data.get("value") or "").strip():
            self.add_error("value", ValidationError(gettext_lazy("Type the correct value.")))
        return data
