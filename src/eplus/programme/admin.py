"""Admin screens for the programme reference data.

Agency administrators edit countries, agencies, actions, calls, envelopes, priorities and topics here.
Every save goes through AuditedModel (actor = the logged-in user, set by AuditActorMiddleware), so each
edit lands in the audit trail with its field diff. Model ``clean()`` methods validate the JSON rules,
and the admin form shows their messages next to the field. Data releases are read-only: they are
written by ``load_programme`` only.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from eplus.programme.scoping import for_agency_staff

from .models import (
    Action, Agency, AgencyMembership, BudgetEnvelope, Call, Country, Priority, ReferenceDataRelease, Topic,
)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_lv", "status", "region")
    list_filter = ("status", "region")
    search_fields = ("code", "name", "name_lv")
    ordering = ("name",)

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "country", "fields")
    list_filter = ("kind", "country")
    search_fields = ("code", "name")
    list_select_related = ("country",)
    autocomplete_fields = ("country",)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role", "active")
    list_filter = ("role", "active", "agency")
    search_fields = ("user__email", "user__last_name", "agency__code")
    list_select_related = ("user", "agency")
    raw_id_fields = ("user",)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "key_action", "sectors", "managing_agency_kind", "funding_model", "active")
    list_filter = ("key_action", "managing_agency_kind", "funding_model", "active")
    search_fields = ("code", "name_en", "name_lv")


class BudgetEnvelopeInline(admin.TabularInline):
    model = BudgetEnvelope
    extra = 0
    fields = ("agency", "sector", "amount", "source")
    autocomplete_fields = ("agency",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else for_agency_staff(queryset, request.user)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("__str__", "year", "action", "round", "deadline", "funding_model", "duration_min_months",
                    "duration_max_months")
    list_filter = ("year", "action", "funding_model", "provisional")
    search_fields = ("action__code", "title_en")
    list_select_related = ("action",)
    date_hierarchy = "deadline"
    inlines = [BudgetEnvelopeInline]
    fieldsets = (
        (None, {"fields": ("year", "action", "round", "title_en", "provisional", "deadline",
                           ("start_earliest", "start_latest"))}),
        (_("Funding"), {"fields": ("funding_model", "lump_sum_options", "grant_maximum", "lots", "total_budget")}),
        (_("Eligibility"), {"fields": (("duration_min_months", "duration_max_months"), "coordinator_min_age_years",
                                       "max_topics", "composition", "organisation_limits", "structure")}),
        (_("Award"), {"fields": ("award_criteria", "award_total_threshold", "award_criterion_threshold_share")}),
        (_("Grant management"), {"fields": ("payment_schedule", "first_prefinancing_days", "progress_report_days",
                                            "final_report_days", "final_report_decision_days", "reduction_bands")}),
        (_("Other"), {"fields": ("other_rules", "sources")}),
    )


@admin.register(BudgetEnvelope)
class BudgetEnvelopeAdmin(admin.ModelAdmin):
    list_display = ("agency", "call", "sector", "amount")
    list_filter = ("agency", "call__year", "call__action", "sector")
    search_fields = ("agency__code", "call__action__code")
    list_select_related = ("agency", "call", "call__action")
    autocomplete_fields = ("agency",)

    def get_queryset(self, request):
        # An agency administrator sees and edits only their own agency's envelopes.
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else for_agency_staff(queryset, request.user)


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ("code", "sector", "name_en", "name_lv", "position", "active")
    list_filter = ("sector", "active")
    search_fields = ("code", "name_en", "name_lv")
    list_editable = ("position", "active")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_lv", "position", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_en", "name_lv")
    list_editable = ("position", "active")


@admin.register(ReferenceDataRelease)
class ReferenceDataReleaseAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "loaded_at", "sha256")
    search_fields = ("name", "version")
    readonly_fields = ("name", "version", "sha256", "source", "loaded_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
