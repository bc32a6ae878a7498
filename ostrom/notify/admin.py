"""notify in Django's admin: for looking, not for changing.

A message's status moves only through the outbox actions (claims are compare-and-set, so an edit here could race a
worker), an opt-out is removed only by the number itself sending START, and phone codes are only ever hashes. The
one change offered is the coordinators' "retry" for dead letters, which goes through ``retry_dead`` and is audited."""

from django.contrib import admin, messages

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from .actions.outbox import retry_dead
from .models import (
    InboundSms,
    Message,
    MessageStatus,
    NotificationSettings,
    PhoneVerification,
    Preference,
    SmsConfirmation,
    SmsOptOut,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the admin may show but never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "channel", "to_address", "kind", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel", "community", "kind"]
    search_fields = ["to_address", "kind", "reference", "provider_reference", "dedupe_key"]
    list_select_related = ["community"]
    raw_id_fields = ["member", "user"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    @admin.action(description="Retry the selected dead letters")
    def retry(self, request, queryset) -> None:
        retried = 0
        for message in queryset.filter(status=MessageStatus.DEAD).select_related("community")[:500]:
            by = Member.objects.filter(user=request.user, community_id=message.community_id).first()
            try:
                if by is None:
                    raise DomainError("not_allowed", "You are not a member of this message's community.")
                retry_dead(message, by)
                retried += 1
            except DomainError as error:
                self.message_user(request, f"Message {message.pk}: {error.message}", messages.WARNING)
        self.message_user(request, f"{retried} message(s) queued again.")


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ["member", "kind", "channel"]
    list_filter = ["kind", "channel"]
    raw_id_fields = ["member"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnlyAdmin):
    list_display = ["member", "digest_frequency", "digest_channel", "quiet_from", "quiet_until", "last_digest_at"]
    list_filter = ["digest_frequency", "digest_channel"]
    raw_id_fields = ["member"]


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ReadOnlyAdmin):
    list_display = ["phone", "opted_out_at"]
    search_fields = ["phone"]


@admin.register(PhoneVerification)
class PhoneVerificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "phone", "created_at", "expires_at", "attempts", "verified_at"]
    exclude = ["code_hash"]
    raw_id_fields = ["user"]


@admin.register(InboundSms)
class InboundSmsAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "phone", "command", "outcome", "community", "member"]
    list_filter = ["outcome", "community"]
    search_fields = ["phone", "provider_id", "text"]
    raw_id_fields = ["member", "reply"]
    date_hierarchy = "received_at"


@admin.register(SmsConfirmation)
class SmsConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["phone", "code", "member", "confirmer", "summary", "expires_at", "outcome"]
    list_filter = ["confirmer", "outcome"]
    raw_id_fields = ["member"]
