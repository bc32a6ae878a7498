"""The ledger in Django's admin: for looking, not for changing money.

Balances, limits, statuses and transfers change only through ledger.actions, which lock rows, keep the
running totals in step and write audit rows; the admin editing them directly would bypass all three. So
transfers, batches, requests and links are read-only here, accounts only let their name change, and
currencies are set up on the coordinators' page (which also opens their system accounts)."""

from django.contrib import admin

from .models import Account, CommunityLink, Currency, LedgerSettings, PaymentRequest, Transfer, TransferBatch


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the admin may show but never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "community", "kind", "scale", "default_debit_limit", "is_active"]
    list_filter = ["community", "kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["community", "code", "kind", "scale", "created_at"]

    def has_add_permission(self, request):
        return False  # set up on the coordinators' currency page, which opens the system accounts too

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "community", "currency", "kind", "status", "debit_limit", "credit_limit"]
    list_filter = ["community", "currency", "kind", "status"]
    search_fields = ["name", "member__display_name", "organisation__name"]
    list_select_related = ["member", "organisation", "currency", "community"]
    fields = [
        "community", "currency", "kind", "member", "organisation", "link", "name", "status",
        "debits_pending", "debits_posted", "credits_pending", "credits_posted",
        "debit_limit", "credit_limit", "debit_limit_base", "limit_growth_permille", "limit_growth_cap", "created_at",
    ]  # fmt: skip
    readonly_fields = [f for f in fields if f != "name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "currency", "kind", "debit_account", "credit_account", "amount", "created_at"]
    list_filter = ["community", "currency", "kind"]
    search_fields = ["memo", "category", "reference", "key"]
    list_select_related = [
        "community", "currency", "debit_account__member", "debit_account__organisation",
        "credit_account__member", "credit_account__organisation",
    ]  # fmt: skip
    raw_id_fields = ["debit_account", "credit_account", "pending", "reverses", "batch", "on_behalf_of"]
    date_hierarchy = "created_at"


@admin.register(TransferBatch)
class TransferBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "kind", "transfer_count", "memo", "created_by", "created_at"]
    list_filter = ["community", "kind"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "payee", "payer", "amount", "status", "created_at", "expires_at"]
    list_filter = ["community", "status"]
    list_select_related = ["community", "payee", "payer"]


@admin.register(CommunityLink)
class CommunityLinkAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "currency", "partner_currency", "rate_numerator", "rate_denominator", "is_active"]
    list_filter = ["is_active"]


@admin.register(LedgerSettings)
class LedgerSettingsAdmin(admin.ModelAdmin):
    list_display = ["community", "request_auto_accept_hours", "request_expiry_days", "hold_expiry_hours"]
