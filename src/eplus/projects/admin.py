from django.contrib import admin

from .models import Amendment, FinalAssessment, Payment, Project, ProjectAccess, Report


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("kind", "amount", "at_most", "due", "status", "paid_on")


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ("kind", "period_start", "period_end", "due", "status", "language")


class AccessInline(ReadOnlyInline):
    model = ProjectAccess
    fields = ("user", "organisation", "level")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Read-only in the admin: projects change through the beneficiary and agency pages (audited transitions)."""

    list_display = ("number", "title", "agency", "status", "end_date", "lump_sum")
    list_filter = ("status", "agency", "action_code")
    search_fields = ("number", "title", "coordinator__legal_name")
    inlines = (AccessInline, PaymentInline, ReportInline)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (Amendment, FinalAssessment):
    admin.site.register(model, type(f"{model.__name__}Admin", (admin.ModelAdmin,), {
        "has_add_permission": lambda self, request: False,
        "has_change_permission": lambda self, request, obj=None: False,
        "has_delete_permission": lambda self, request, obj=None: False,
    }))
