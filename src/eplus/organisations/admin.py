from django.contrib import admin

from .models import Invitation, IssuedOID, Membership, Organisation, RegistrationDraft


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("oid", "legal_name", "country", "city", "organisation_type", "status")
    list_filter = ("status", "organisation_type", "country")
    search_fields = ("oid", "legal_name", "business_name", "registration_number", "vat_number")
    readonly_fields = ("oid", "created_at", "updated_at", "validated_at", "validated_by", "created_by")
    list_select_related = ("country",)
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "expires_at", "accepted_at")
    exclude = ("token_hash",)
    list_select_related = ("organisation",)


@admin.register(RegistrationDraft)
class RegistrationDraftAdmin(admin.ModelAdmin):
    list_display = ("owner", "current_step", "updated_at")
    list_select_related = ("owner",)


@admin.register(IssuedOID)
class IssuedOIDAdmin(admin.ModelAdmin):
    list_display = ("oid", "issued_at")
    search_fields = ("oid",)

    def has_delete_permission(self, request, obj=None):
        return False  # an issued OID is never released
