"""The fixed vocabularies of programme data: sectors and funding models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """Fields of education, training and youth (codes as in project numbers, e.g. KA220-VET)."""

    SCH = "SCH", _("School education")
    VET = "VET", _("Vocational education and training")
    HED = "HED", _("Higher education")
    ADU = "ADU", _("Adult education")
    YOU = "YOU", _("Youth")


SECTOR_CODES = frozenset(Sector.values)


class FundingModel(models.TextChoices):
    LUMP_SUM_OPTIONS = "lump-sum-options", _("Lump sum: one of fixed amounts")
    LUMP_SUM_MAXIMUM = "lump-sum-maximum", _("Lump sum up to a maximum")
    ACTUAL_COSTS_MAXIMUM = "actual-costs-maximum", _("Actual costs up to a maximum")
