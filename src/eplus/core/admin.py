from django.contrib import admin

from .models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The whole outbox, read-only (agency staff see their agency's part under /agency/mail/)."""

    list_display = ("created_at", "subject", "state", "attempts", "sent_at", "agency_code")
    list_filter = ("state", "agency_code")
    search_fields = ("subject", "recipients")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
