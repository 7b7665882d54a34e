from django import forms
from django.utils.translation import gettext_lazy as _

from eplus.programme.choices import Sector

from .models import ProjectStatus, ResultType
from .search import FACETS


def _file_input():
    return forms.ClearableFileInput(attrs={"data-too-large": _(
        "The file is larger than 100 MB. Each file may be at most 100 MB: make it smaller or split it.")})


class WebsiteForm(forms.Form):
    website = forms.URLField(
        label=_("Project website"), required=False, max_length=500, assume_scheme="https",
        help_text=_("The address starts with https:// or http://. It is public as soon as you save it."),
    )


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Project logo"),
                           help_text=_("A PNG, JPEG, GIF or WebP image of at most 5 MB. A thumbnail is made for lists."))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    published = forms.BooleanField(
        label=_("Show this contact person publicly"), required=False,
        help_text=_("Contact persons are hidden until you choose to show them."),
    )


class ResultForm(forms.Form):
    title = forms.CharField(label=_("Title of the result"), max_length=300)
    result_type = forms.ChoiceField(label=_("Type of result"), choices=[("", _("Choose a type"))] + ResultType.choices)
    description_en = forms.CharField(
        label=_("Description in English"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Describe clearly, in English, what the result is and who can use it."),
    )
    link = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https",
                          help_text=_("Optional: where the result can be found online."))
    public = forms.BooleanField(
        label=_("Publish this result"), required=False, initial=True,
        help_text=_("Untick to keep the result hidden: it is then never shown publicly."),
    )


class ResultWithFileForm(ResultForm):
    file = forms.FileField(
        label=_("File"), required=False, widget=_file_input(),
        help_text=_("Optional: a file of at most 100 MB (PDF, images, Office or OpenDocument files, ZIP, MP4, MP3, "
                    "text or CSV). You can add more files later."),
    )


class FileForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=_file_input(),
        help_text=_("At most 100 MB (PDF, images, Office or OpenDocument files, ZIP, MP4, MP3, text or CSV)."),
    )


class ReturnForm(forms.Form):
    prefix = "return"  # the review page has two comment fields: their ids must differ
    comment = forms.CharField(label=_("Comment for the beneficiary"), widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("Say what should be changed or added."))


class ApproveForm(forms.Form):
    prefix = "approve"
    comment = forms.CharField(label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search projects and results"), required=False, max_length=300,
                        help_text=_("Use quotes for a phrase and a minus sign to exclude a word, e.g. "
                                    "\"green skills\" -school."),
                        widget=forms.TextInput(attrs={"type": "search"}))
    country = forms.CharField(required=False, max_length=2)
    action = forms.CharField(required=False, max_length=40)
    sector = forms.CharField(required=False, max_length=3)
    call_year = forms.IntegerField(required=False, min_value=1980, max_value=2100)
    status = forms.ChoiceField(required=False, choices=[("", "")] + ProjectStatus.choices)
    result_type = forms.ChoiceField(required=False, choices=[("", "")] + ResultType.choices)
    good_practice = forms.CharField(required=False, max_length=3)
    success_story = forms.CharField(required=False, max_length=3)
    page = forms.IntegerField(required=False, min_value=1)

    def filters(self):
        data = self.cleaned_data if self.is_valid() else {}
        return {key: data.get(key) for key in FACETS if data.get(key) not in (None, "")}


class PartnerSearchForm(forms.Form):
    q = forms.CharField(label=_("Organisation name"), required=False, max_length=200)
    country = forms.ChoiceField(label=_("Country"), required=False)
    sector = forms.ChoiceField(label=_("Sector of their past projects"), required=False)
    topic = forms.CharField(label=_("Topic of their past projects"), required=False, max_length=200,
                            help_text=_("A word from the topic, e.g. inclusion or digital."))
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country"))] + list(countries)
        self.fields["sector"].choices = [("", _("Any sector"))] + Sector.choices


class SaveSearchForm(forms.Form):
    """The name and the e-mail frequency of a search being saved (the search itself travels beside it, in
    the search page's own parameters, read with SearchForm)."""

    name = forms.CharField(label=_("Name of the saved search"), max_length=120,
                           help_text=_("So that you recognise it in your list and in the e-mails."))
    frequency = forms.ChoiceField(
        label=_("How often should we e-mail you about new projects and results?"), widget=forms.RadioSelect,
        choices=[("daily", _("Daily")), ("weekly", _("Weekly"))], initial="weekly")


class SavedSearchFrequencyForm(forms.Form):
    frequency = forms.ChoiceField(label=_("E-mails"), choices=[
        ("daily", _("Daily")), ("weekly", _("Weekly")), ("never", _("No e-mails"))])
