"""Payment requests: a member asks another to pay them; the payer accepts (a transfer), declines, or lets it lapse.

Each member chooses how requests reach them (``RequestHandling``): always ask, pay people they trust at once, or
pay automatically once the community's timeout has passed. ``expire_requests`` and ``auto_accept_requests`` at the
end are the plain functions behind the background tasks in ledger/tasks.py; each is safe to run twice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, User

from .. import notices
from ..domain import amounts
from ..models import Currency, PaymentPreference, PaymentRequest, RequestHandling, RequestStatus, TrustedPayee
from ..rules import rules_for
from . import transfers
from .accounts import open_account

MAX_MEMO = 500
MAX_CATEGORY = 40
MAX_REASON = 500
# The tasks walk due requests in pages of this size, so one run never holds thousands of rows in memory.
TASK_PAGE_SIZE = 200
# The fields a retry with the same key must repeat; anything else is a different request.
COMPARED_FIELDS = ("payee_id", "payer_id", "currency_id", "amount", "memo", "category")
CLOSED_MESSAGES: dict[str, str] = {
    RequestStatus.ACCEPTED: "This request has already been paid.",
    RequestStatus.DECLINED: "This request has already been declined.",
    RequestStatus.EXPIRED: "This request has lapsed. Ask for a new one if it is still due.",
    RequestStatus.CANCELLED: "This request has been withdrawn.",
}


def request_payment(
    payee: Member, payer: Member, currency: Currency, amount: int, memo: str, key: uuid.UUID, *, category: str = ""
) -> PaymentRequest:
    """``payee`` asks ``payer`` for ``amount``. Idempotent on ``key``. A trusted payee is paid in the same call."""
    if not isinstance(key, uuid.UUID):
        raise DomainError("invalid_key", "The idempotency key must be a UUID.", "key")
    memo, category = str(memo).strip(), str(category).strip()
    existing = PaymentRequest.objects.filter(community_id=payee.community_id, key=key).first()
    if existing is not None:
        return _replay(existing, payee, payer, currency, amount, memo, category)
    _check_request(payee, payer, currency, amount, memo, category)
    now = timezone.now()
    rules = rules_for(payee.community)
    handling = handling_for(payer)
    auto_accept_at = (
        now + timedelta(hours=rules.request_auto_accept_hours) if handling == RequestHandling.TIMEOUT else None
    )
    try:
        with transaction.atomic():
            open_account(currency, member=payer)
            open_account(currency, member=payee)
            payment = PaymentRequest.objects.create(
                community_id=payee.community_id, currency=currency, key=key, payee=payee, payer=payer,
                amount=amount, memo=memo, category=category, created_at=now,
                expires_at=now + timedelta(days=rules.request_expiry_days), auto_accept_at=auto_accept_at,
            )  # fmt: skip
            trusted = (
                handling == RequestHandling.TRUSTED and TrustedPayee.objects.filter(member=payer, payee=payee).exists()
            )
            if not trusted:
                notices.payment_requested(payment)
    except IntegrityError:  # the same key raced in from another connection
        existing = PaymentRequest.objects.get(community_id=payee.community_id, key=key)
        return _replay(existing, payee, payer, currency, amount, memo, category)
    if trusted:
        try:
            return _accept(payment, actor=None)
        except DomainError:
            # Over a limit, say, or a frozen account: the request then waits for the payer like any other, and
            # they are asked after all (the request is already saved; the notice is one row on its own).
            notices.payment_requested(payment)
            return payment
    return payment


def _replay(
    existing: PaymentRequest,
    payee: Member,
    payer: Member,
    currency: Currency,
    amount: int,
    memo: str,
    category: str,
) -> PaymentRequest:
    asked = {
        "payee_id": payee.pk, "payer_id": payer.pk, "currency_id": currency.pk, "amount": amount, "memo": memo,
        "category": category,
    }  # fmt: skip
    for field in COMPARED_FIELDS:
        if getattr(existing, field) != asked[field]:
            name = field.removesuffix("_id")
            raise DomainError(
                f"exists_with_different_{name}",
                f"A payment request with this key already exists with a different {name}. "
                "Use a new key for a new request.",
                name,
            )
    return existing


def _check_request(payee: Member, payer: Member, currency: Currency, amount: int, memo: str, category: str) -> None:
    if not payee.is_active:
        raise DomainError("member_not_active", "Only active members can ask for payment.")
    if payer.community_id != payee.community_id:
        raise DomainError("member_unknown", "There is no such member in this community.", "payer")
    if payer.pk == payee.pk:
        raise DomainError("same_member", "You can't ask yourself for a payment.", "payer")
    if not payer.is_active:
        raise DomainError("member_not_active", f"{payer.display_name} is not an active member just now.", "payer")
    if currency.community_id != payee.community_id or not currency.is_active:
        raise DomainError("currency_unknown", "This community has no such currency.", "currency")
    amounts.check_amount(amount)
    if not memo:
        raise DomainError("memo_required", "Say what the payment is for.", "memo")
    if len(memo) > MAX_MEMO:
        raise DomainError("memo_too_long", f"Keep the description to {MAX_MEMO} characters or fewer.", "memo")
    if len(category) > MAX_CATEGORY:
        raise DomainError("category_too_long", f"Keep the category to {MAX_CATEGORY} characters or fewer.", "category")


def accept_request(payer: Member, payment: PaymentRequest) -> PaymentRequest:
    """The payer pays what they were asked. Accepting twice never pays twice; a refusal leaves the request open."""
    _require_party(payer, payment.payer_id, "Only the person asked to pay can accept this request.")
    return _accept(payment, actor=payer.user)


def _accept(payment: PaymentRequest, *, actor: User | None) -> PaymentRequest:
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
        if locked.status == RequestStatus.ACCEPTED:
            return locked
        _require_open(locked)
        now = timezone.now()
        if locked.expires_at <= now:
            raise DomainError("request_expired", "This request has lapsed. Ask for a new one if it is still due.")
        if not locked.payer.is_active:
            raise DomainError("member_not_active", f"{locked.payer.display_name} is not an active member just now.")
        posted = transfers.transfer(
            debit=open_account(locked.currency, member=locked.payer),
            credit=open_account(locked.currency, member=locked.payee),
            amount=locked.amount,
            # Derived from the request's own key: a second acceptance finds the first payment, never makes another.
            key=uuid.uuid5(locked.key, "accept"),
            memo=locked.memo,
            category=locked.category,
            reference=f"request:{locked.pk}",
            actor=actor,
        )
        locked.status, locked.transfer_id, locked.resolved_at = RequestStatus.ACCEPTED, posted.id, now
        locked.save(update_fields=["status", "transfer", "resolved_at"])
        notices.request_answered(locked, balance=posted.credit_balance_after)
    return locked


def decline_request(payer: Member, payment: PaymentRequest, reason: str = "") -> PaymentRequest:
    """The payer says no, optionally saying why."""
    _require_party(payer, payment.payer_id, "Only the person asked to pay can decline this request.")
    reason = str(reason).strip()
    if len(reason) > MAX_REASON:
        raise DomainError("reason_too_long", f"Keep the reason to {MAX_REASON} characters or fewer.", "reason")
    return _close(payment, RequestStatus.DECLINED, decline_reason=reason)


def cancel_request(payee: Member, payment: PaymentRequest) -> PaymentRequest:
    """The member who asked withdraws the request."""
    _require_party(payee, payment.payee_id, "Only the person who asked can withdraw this request.")
    return _close(payment, RequestStatus.CANCELLED)


def _close(payment: PaymentRequest, status: str, decline_reason: str = "") -> PaymentRequest:
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
        _require_open(locked)
        locked.status, locked.decline_reason, locked.resolved_at = status, decline_reason, timezone.now()
        locked.save(update_fields=["status", "decline_reason", "resolved_at"])
        if status == RequestStatus.DECLINED:  # a request withdrawn by the one who asked needs no answer to them
            notices.request_answered(locked)
    return locked


def _require_party(member: Member, party_id: int, message: str) -> None:
    if member.pk != party_id or not member.is_active:
        raise DomainError("not_your_request", message)


def _require_open(payment: PaymentRequest) -> None:
    if payment.status != RequestStatus.OPEN:
        raise DomainError("request_closed", CLOSED_MESSAGES.get(payment.status, "This request is closed."))


def handling_for(member: Member) -> str:
    """How the member wants payment requests handled; "always ask" until they choose."""
    chosen = PaymentPreference.objects.filter(member=member).values_list("handling", flat=True).first()
    return chosen or RequestHandling.ASK


def set_payment_preference(member: Member, handling: str) -> PaymentPreference:
    """Choose how requests are handled. Requests already waiting follow the new choice from now on."""
    if not member.is_active:
        raise DomainError("member_not_active", "Only active members can change this.")
    if handling not in RequestHandling.values:
        raise DomainError("invalid_handling", "Choose how you want payment requests handled.", "handling")
    now = timezone.now()
    with transaction.atomic():
        preference, _ = PaymentPreference.objects.update_or_create(
            member=member, defaults={"community_id": member.community_id, "handling": handling}
        )
        waiting = PaymentRequest.objects.filter(payer=member, status=RequestStatus.OPEN)
        if handling == RequestHandling.TIMEOUT:
            # A full timeout from now: switching on must not pay an old request the same minute.
            hours = rules_for(member.community).request_auto_accept_hours
            waiting.filter(auto_accept_at__isnull=True).update(auto_accept_at=now + timedelta(hours=hours))
        else:
            waiting.exclude(auto_accept_at=None).update(auto_accept_at=None)
    return preference


def trust_payee(member: Member, payee: Member) -> TrustedPayee:
    """``member`` will pay ``payee``'s requests without being asked (if their handling is "trusted")."""
    if not member.is_active:
        raise DomainError("member_not_active", "Only active members can change this.")
    if payee.community_id != member.community_id or not payee.is_active:
        raise DomainError("member_unknown", "There is no such member in this community.", "payee")
    if payee.pk == member.pk:
        raise DomainError("same_member", "You can't add yourself.", "payee")
    trusted, _ = TrustedPayee.objects.get_or_create(
        member=member, payee=payee, defaults={"community_id": member.community_id}
    )
    return trusted


def untrust_payee(member: Member, payee: Member) -> None:
    """``payee``'s requests are asked about again. Doing it twice is harmless."""
    TrustedPayee.objects.filter(member=member, payee=payee).delete()


def expire_requests(now: datetime | None = None) -> int:
    """Lapse open requests whose time has passed. Returns how many lapsed; a second run finds none."""
    now = now or timezone.now()
    lapsed, after = 0, 0
    while True:
        due = list(
            PaymentRequest.objects.filter(status=RequestStatus.OPEN, expires_at__lte=now, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:TASK_PAGE_SIZE]
        )
        if not due:
            return lapsed
        after = due[-1]
        # Compare-and-set on the status: a request paid or declined a moment ago is left as it is.
        lapsed += PaymentRequest.objects.filter(pk__in=due, status=RequestStatus.OPEN).update(
            status=RequestStatus.EXPIRED, resolved_at=now
        )


def auto_accept_requests(now: datetime | None = None) -> int:
    """Pay the requests whose payers chose "pay after a timeout" and whose timeout has passed.

    A request refused by a limit (or a frozen account) stays open, is tried again on the next run, and lapses
    at its expiry like any other. Returns how many were paid; a second run pays none of them again."""
    now = now or timezone.now()
    paid, after = 0, 0
    while True:
        page = list(
            PaymentRequest.objects.filter(
                status=RequestStatus.OPEN, auto_accept_at__lte=now, expires_at__gt=now, pk__gt=after
            ).order_by("pk")[:TASK_PAGE_SIZE]
        )
        if not page:
            return paid
        for payment in page:
            after = payment.pk
            try:
                _accept(payment, actor=None)
            except DomainError:
                continue
            paid += 1
