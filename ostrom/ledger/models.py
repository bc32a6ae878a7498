"""The ledger's tables. The invariants that two requests could race on live here as database constraints:
limits (counting pending holds), positive amounts, one resolution per hold, one reversal per transfer,
one use of each idempotency key. See ARCHITECTURE.md: the ledger is append-only."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation, User


class CurrencyKind(models.TextChoices):
    TIME = "time", "Time (hours and minutes)"
    CREDIT = "credit", "Credits"


class Currency(models.Model):
    """A unit a community trades in: timebank hours (stored in minutes) or a credit with its own smallest unit."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="currencies")
    code = models.SlugField(max_length=20, help_text="Short name used in addresses and files, e.g. hours.")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=CurrencyKind.choices)
    symbol = models.CharField(max_length=8, blank=True)
    scale = models.PositiveIntegerField(
        default=1, help_text="Smallest units in one whole unit: 60 for hours (minutes), 100 for pence-like credits."
    )
    default_debit_limit = models.BigIntegerField(default=0, help_text="How far below zero a new account may go.")
    default_credit_limit = models.BigIntegerField(
        null=True, blank=True, help_text="How far above zero; blank for no limit."
    )
    limit_growth_permille = models.PositiveIntegerField(
        default=0, help_text="Per 1,000 units received, how many more units a member may go below zero."
    )
    limit_growth_cap = models.BigIntegerField(null=True, blank=True, help_text="The most a debit limit can grow to.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "currencies"
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="currency_code_unique_in_community"),
            models.CheckConstraint(name="currency_scale_positive", condition=Q(scale__gte=1)),
            models.CheckConstraint(name="currency_time_in_minutes", condition=~Q(kind="time") | Q(scale=60)),
            models.CheckConstraint(
                name="currency_default_debit_limit_not_negative", condition=Q(default_debit_limit__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AccountKind(models.TextChoices):
    MEMBER = "member", "Member"
    ORGANISATION = "organisation", "Organisation"
    ISSUANCE = "issuance", "Issuance"
    FEES = "fees", "Fees and levies"
    CLEARING = "clearing", "Clearing (trade with another community)"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    CLOSED = "closed", "Closed"


class CommunityLink(models.Model):
    """Two communities agree to trade: an exchange rate and how much each trusts the other.

    The link is stored once, on the community that proposed it; both communities' clearing accounts point at it."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="links_made")
    partner = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="links_received")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    partner_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    # One unit of `currency` is worth rate_numerator / rate_denominator units of `partner_currency`.
    rate_numerator = models.PositiveIntegerField()
    rate_denominator = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "partner", "currency", "partner_currency"], name="one_link_per_pair"
            ),
            models.CheckConstraint(name="link_between_two_communities", condition=~Q(community=F("partner"))),
            models.CheckConstraint(
                name="link_rate_positive", condition=Q(rate_numerator__gt=0, rate_denominator__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} ⇄ {self.partner}"


class Account(models.Model):
    """One holder's position in one currency, with running totals kept in the same transaction as each transfer."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(max_length=12, choices=AccountKind.choices)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    link = models.ForeignKey(
        CommunityLink, null=True, blank=True, on_delete=models.PROTECT, related_name="clearing_accounts"
    )
    name = models.CharField(max_length=120, blank=True, help_text="For system accounts.")
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debit_limit = models.BigIntegerField(null=True, blank=True, help_text="How far below zero; blank for no limit.")
    credit_limit = models.BigIntegerField(null=True, blank=True, help_text="How far above zero; blank for no limit.")
    debit_limit_base = models.BigIntegerField(null=True, blank=True)
    limit_growth_permille = models.PositiveIntegerField(default=0)
    limit_growth_cap = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="account_totals_not_negative",
                condition=Q(debits_pending__gte=0, debits_posted__gte=0, credits_pending__gte=0, credits_posted__gte=0),
            ),
            models.CheckConstraint(
                name="account_debit_within_limit",
                condition=Q(debit_limit__isnull=True)
                | Q(debit_limit__gte=F("debits_posted") + F("debits_pending") - F("credits_posted")),
            ),
            models.CheckConstraint(
                name="account_credit_within_limit",
                condition=Q(credit_limit__isnull=True)
                | Q(credit_limit__gte=F("credits_posted") + F("credits_pending") - F("debits_posted")),
            ),
            models.CheckConstraint(
                name="account_closed_at_zero",
                condition=~Q(status="closed")
                | Q(debits_posted=F("credits_posted"), debits_pending=0, credits_pending=0),
            ),
            models.CheckConstraint(
                name="account_owner_matches_kind",
                condition=(Q(kind="member") & Q(member__isnull=False, organisation__isnull=True, link__isnull=True))
                | (Q(kind="organisation") & Q(member__isnull=True, organisation__isnull=False, link__isnull=True))
                | (Q(kind="clearing") & Q(member__isnull=True, organisation__isnull=True, link__isnull=False))
                | (
                    Q(kind__in=["issuance", "fees"])
                    & Q(member__isnull=True, organisation__isnull=True, link__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["currency", "member"],
                condition=Q(member__isnull=False),
                name="one_account_per_member_and_currency",
            ),
            models.UniqueConstraint(
                fields=["currency", "organisation"],
                condition=Q(organisation__isnull=False),
                name="one_account_per_organisation_and_currency",
            ),
            models.UniqueConstraint(
                fields=["currency", "kind"],
                condition=Q(kind__in=["issuance", "fees"]),
                name="one_system_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["currency", "link"], condition=Q(link__isnull=False), name="one_clearing_account_per_link"
            ),
        ]

    def __str__(self) -> str:
        return self.holder_name

    @property
    def holder_name(self) -> str:
        if self.member_id:
            return self.member.display_name
        if self.organisation_id:
            return self.organisation.name
        return self.name or self.get_kind_display()

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted


class TransferKind(models.TextChoices):
    TRANSFER = "transfer", "Transfer"
    PENDING = "pending", "Hold"
    POST = "post", "Hold taken"
    VOID = "void", "Hold released"


class TransferBatch(models.Model):
    """Transfers that succeeded together (a levy, an issue of credits, an import, an exchange with its fee)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    kind = models.CharField(max_length=20)
    memo = models.CharField(max_length=500, blank=True)
    transfer_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "key"], name="batch_key_unique_in_community")]

    def __str__(self) -> str:
        return f"{self.kind} batch {self.pk}"


class Transfer(models.Model):
    """An immutable movement of value. Never updated or deleted: corrections are new transfers."""

    id = models.BigAutoField(primary_key=True)
    # No foreign-key constraints in the database on this table. Every reference is checked where the row is
    # made -- the engine (ledger/actions/posting.py, the only writer) locks every account a transfer names in
    # the same transaction and refuses unknown ones, a batch or hold is read under the same locks -- and
    # verify_ledger checks every reference again. Measured why: the constraint triggers cost more than the
    # insert itself (a 10,000-line levy spent longer checking at commit than writing), and each check took a
    # shared lock on the few hot community and currency rows, which PostgreSQL turns into a multixact under
    # concurrent trading. Deletion is still guarded: Django's PROTECT refuses to delete what a transfer names.
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    currency = models.ForeignKey(Currency, models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    key = models.UUIDField(default=uuid.uuid4, help_text="Chosen by the client, so a retry never pays twice.")
    kind = models.CharField(max_length=8, choices=TransferKind.choices, default=TransferKind.TRANSFER)
    # Indexed by the (account, id) history indexes below.
    debit_account = models.ForeignKey(Account, models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    credit_account = models.ForeignKey(Account, models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    amount = models.BigIntegerField()
    pending = models.OneToOneField(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="resolution",
        db_constraint=False,
        help_text="The hold this posts or voids.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversal", db_constraint=False
    )
    batch = models.ForeignKey(
        TransferBatch,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        db_constraint=False,
        db_index=False,
    )
    memo = models.CharField(max_length=500, blank=True)
    category = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=80, blank=True, help_text="What it pays for, e.g. exchange:42.")
    reason = models.CharField(max_length=500, blank=True, help_text="Why a coordinator made or corrected it.")
    created_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False, db_index=False
    )
    on_behalf_of = models.ForeignKey(
        Member, models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False, db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Posted balances of both accounts just after this transfer, so a statement shows a running balance
    # without summing history.
    debit_balance_after = models.BigIntegerField()
    credit_balance_after = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="transfer_key_unique_in_community"),
            models.CheckConstraint(name="transfer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="transfer_between_two_accounts", condition=~Q(debit_account=F("credit_account"))
            ),
            models.CheckConstraint(
                name="transfer_resolution_names_its_hold",
                condition=(Q(kind__in=["post", "void"]) & Q(pending__isnull=False))
                | (~Q(kind__in=["post", "void"]) & Q(pending__isnull=True)),
            ),
            models.CheckConstraint(
                name="transfer_only_holds_expire", condition=Q(kind="pending") | Q(expires_at__isnull=True)
            ),
        ]
        indexes = [
            models.Index(fields=["debit_account", "id"], name="transfer_debit_history"),
            models.Index(fields=["credit_account", "id"], name="transfer_credit_history"),
            models.Index(fields=["community", "created_at"], name="transfer_community_time"),
            # Most transfers have no batch, author or principal: partial indexes cost those inserts nothing.
            models.Index(fields=["batch"], name="transfer_batch", condition=Q(batch__isnull=False)),
            models.Index(fields=["created_by"], name="transfer_created_by", condition=Q(created_by__isnull=False)),
            models.Index(
                fields=["on_behalf_of"], name="transfer_on_behalf_of", condition=Q(on_behalf_of__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer {self.pk}: {self.amount} from {self.debit_account_id} to {self.credit_account_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Transfers are immutable: correct a mistake with a reversing transfer.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Transfers are never deleted: correct a mistake with a reversing transfer.")


class LedgerSettings(models.Model):
    """Rules a community sets for its ledger. Read them through ``ledger.rules.rules_for``."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="ledger_settings")
    request_auto_accept_hours = models.PositiveIntegerField(
        default=72, help_text="For members who choose it: a payment request is accepted after this many hours."
    )
    request_expiry_days = models.PositiveIntegerField(
        default=14, help_text="Unanswered requests lapse after this many days."
    )
    hold_expiry_hours = models.PositiveIntegerField(default=168, help_text="Default life of a pending hold.")

    class Meta:
        verbose_name_plural = "ledger settings"

    def __str__(self) -> str:
        return f"Ledger rules of {self.community}"


class RequestHandling(models.TextChoices):
    ASK = "ask", "Always ask me"
    TRUSTED = "trusted", "Pay people I trust automatically; ask me about others"
    TIMEOUT = "timeout", "Pay automatically if I have not answered in time"


class PaymentPreference(models.Model):
    """How a member wants payment requests handled."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="payment_preference")
    handling = models.CharField(max_length=8, choices=RequestHandling.choices, default=RequestHandling.ASK)

    def __str__(self) -> str:
        return f"{self.member}: {self.get_handling_display()}"


class TrustedPayee(models.Model):
    """A member whose payment requests ``member`` accepts without being asked."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="trusted_payees")
    payee = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "payee"], name="trust_each_payee_once"),
            models.CheckConstraint(name="trust_someone_else", condition=~Q(member=F("payee"))),
        ]

    def __str__(self) -> str:
        return f"{self.member} trusts {self.payee}"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    ACCEPTED = "accepted", "Paid"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Lapsed"
    CANCELLED = "cancelled", "Withdrawn"


class PaymentRequest(models.Model):
    """A member asks another to pay them; accepting makes the transfer."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    key = models.UUIDField(default=uuid.uuid4)
    payee = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="requests_made")
    payer = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="requests_received")
    amount = models.BigIntegerField()
    memo = models.CharField(max_length=500)
    category = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    auto_accept_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_request"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="request_key_unique_in_community"),
            models.CheckConstraint(name="request_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="request_between_two_members", condition=~Q(payer=F("payee"))),
            models.CheckConstraint(
                name="request_paid_has_transfer", condition=~Q(status="accepted") | Q(transfer__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="request_open_by_expiry")]

    def __str__(self) -> str:
        return f"Request {self.pk}: {self.payee} asks {self.payer} for {self.amount}"
