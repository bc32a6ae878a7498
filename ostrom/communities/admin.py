from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, AuditEntry, Community, Invitation, Member, Organisation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "phone", "is_active", "is_staff", "date_joined"]
    search_fields = ["full_name", "email", "phone"]
    fieldsets = [
        (None, {"fields": ["full_name", "email", "phone", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["date_joined", "last_login", "erased_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["full_name", "email", "phone", "password1", "password2"]})]
    readonly_fields = ["erased_at", "last_login"]
    list_filter = ["is_active", "is_staff"]
    filter_horizontal = ["groups", "user_permissions"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "join_policy", "time_zone", "population"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "kind", "is_active"]
    list_filter = ["community", "kind"]
    search_fields = ["name"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "community", "role", "status", "organisation", "joined_at"]
    list_filter = ["community", "role", "status"]
    search_fields = ["display_name", "user__email", "user__phone"]
    raw_id_fields = ["user", "registered_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["community", "role", "email", "created_by", "expires_at", "use_count", "max_uses", "revoked_at"]
    exclude = ["token_hash"]
    readonly_fields = ["created_by", "use_count"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "member", "community", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]
    readonly_fields = ["prefix", "member", "community"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is evidence and must not be edited."""

    list_display = ["created_at", "community", "actor", "action", "member", "reason"]
    list_filter = ["community", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
