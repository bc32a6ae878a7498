"""The outbox: actions write messages as rows in their own transaction, and the worker sends them later.

Writing (``enqueue``, ``notify``, ``schedule``) never talks to a provider; it only inserts rows, so a rolled-back
action leaves no message behind. Sending (``drain``) claims due rows with one compare-and-set update that gives
them a lease: a worker killed mid-send leaves rows that another worker claims again once the lease has passed,
and since every adapter passes the row's ``reference`` to the provider as an idempotency key, the resend is not
delivered twice. A worker whose lease ran out may finish its send, but it can no longer record the result:
every write after the claim is conditional on the claim token it was given."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member, User
from ostrom.notify import registry
from ostrom.notify.channels import (
    DELIVERED,
    Channel,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    email_channel,
    sms_channel,
)
from ostrom.notify.channels.webhooks import StatusUpdate
from ostrom.notify.domain import backoff, quiet_hours, sms_text

from ..models import Channel as ChannelName
from ..models import ChannelChoice, Message, MessageStatus, NotificationSettings, Preference, SmsOptOut

logger = logging.getLogger(__name__)

# Rows claimed per round trip. Small enough that a batch is sent well inside its lease even when a provider is
# slow (each send has its own timeout), large enough that claiming costs little next to sending.
CLAIM_BATCH = 100
# One drain call sends at most this many, so a task never runs unbounded; the task enqueues a successor if full.
DRAIN_LIMIT = 2_000
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 5_000
MAX_KEY_CHARS = 200
MAX_ERROR_CHARS = 500
# The states a message can still leave by being sent; anything else is final (or being sent right now).
WAITING = (MessageStatus.QUEUED, MessageStatus.SCHEDULED)


# --- writing ------------------------------------------------------------------------------------------------


def enqueue(
    *,
    channel: str,
    to_address: str,
    kind: str,
    body: str,
    subject: str = "",
    community: Community | None = None,
    member: Member | None = None,
    user: User | None = None,
    essential: bool = False,
    dedupe_key: str | None = None,
    send_after: datetime | None = None,
) -> Message | None:
    """Write one message in the caller's transaction. None when nothing was written: a non-essential SMS to a
    number that sent STOP, or a ``dedupe_key`` already used (which makes digests and reminders exactly-once)."""
    to_address, body = _checked(channel, to_address, body)
    if dedupe_key is not None and len(dedupe_key) > MAX_KEY_CHARS:
        raise DomainError("key_too_long", f"A message key can be at most {MAX_KEY_CHARS} characters.", "key")
    if channel == ChannelName.SMS and not essential and SmsOptOut.objects.filter(phone=to_address).exists():
        return None
    if dedupe_key is not None and Message.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    now = timezone.now()
    later = send_after is not None and send_after > now
    row = Message(
        channel=channel, to_address=to_address, kind=kind, essential=essential, subject=_short(subject),
        body=body, community=community, member=member, user=user, dedupe_key=dedupe_key, created_at=now,
        status=MessageStatus.SCHEDULED if later else MessageStatus.QUEUED,
        next_attempt_at=send_after if later else now,
    )  # fmt: skip
    if dedupe_key is None:
        row.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            # Another transaction wrote the same key between our check and our insert: it wins, we write nothing.
            if Message.objects.filter(dedupe_key=dedupe_key).exists():
                return None
            raise
    if not later:
        wake_worker()
    return row


def notify(
    member: Member,
    kind: str,
    *,
    subject: str,
    body: str,
    sms_body: str | None = None,
    dedupe_key: str | None = None,
) -> list[Message]:
    """Tell ``member`` something the way they chose for this kind: by email or SMS now (an SMS waits for the end of
    their quiet hours unless the kind is essential), or not now at all when they chose the digest or "off"."""
    spec = registry.get_kind(kind)
    route = _route(member, spec)
    if route is None:
        return []
    channel, address = route
    send_after = None
    if channel == ChannelName.SMS:
        body = sms_body or body
        if not spec.essential:
            send_after = after_quiet_hours(member, timezone.now())
    row = enqueue(
        channel=channel, to_address=address, kind=spec.key, body=body, subject=subject,
        community=member.community, member=member, user=member.user, essential=spec.essential,
        dedupe_key=dedupe_key, send_after=send_after,
    )  # fmt: skip
    return [row] if row is not None else []


def schedule(member: Member, kind: str, *, body: str, subject: str = "", at: datetime, key: str) -> Message | None:
    """Send ``member`` a reminder at ``at`` (later still if that falls in their quiet hours), once per ``key``.
    Scheduling a key again moves the reminder (and revives a cancelled one); None once it has gone or if the member
    does not want this kind of message."""
    spec = registry.get_kind(kind)
    route = _route(member, spec)
    if route is None:
        return None
    channel, address = route
    if channel == ChannelName.SMS and not spec.essential:
        at = after_quiet_hours(member, at) or at
    existing = Message.objects.filter(dedupe_key=key).first()
    if existing is None:
        return enqueue(
            channel=channel, to_address=address, kind=spec.key, body=body, subject=subject,
            community=member.community, member=member, user=member.user, essential=spec.essential,
            dedupe_key=key, send_after=at,
        )  # fmt: skip
    address, body = _checked(channel, address, body)
    if channel == ChannelName.SMS and not spec.essential and SmsOptOut.objects.filter(phone=address).exists():
        return None
    moved = Message.objects.filter(pk=existing.pk, status__in=[MessageStatus.SCHEDULED, MessageStatus.CANCELLED])
    # Conditional on the status, so a reminder a worker has just claimed is not changed under it.
    if not moved.update(
        status=MessageStatus.SCHEDULED, next_attempt_at=at, channel=channel, to_address=address,
        subject=_short(subject), body=body, attempts=0, last_error="",
    ):  # fmt: skip
        return None
    existing.refresh_from_db()
    return existing


def cancel_scheduled(key: str) -> bool:
    """Call off the reminder scheduled under ``key``; False if there is none or it has already gone."""
    return bool(Message.objects.filter(dedupe_key=key, status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.CANCELLED
    ))  # fmt: skip


def wake_worker() -> None:
    """Ask for a drain as soon as the caller's transaction commits, once per transaction. Cheap and optional:
    ``manage.py tick`` drains every minute anyway, and a second drain finds nothing left to claim."""
    # run_on_commit holds (savepoint ids, callback, robust) for the open transaction.
    if connection.in_atomic_block and any(func is _enqueue_drain for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_drain, robust=True)


def _enqueue_drain() -> None:
    from ostrom.notify.tasks import enqueue_drain  # tasks import the actions

    enqueue_drain()


def _route(member: Member, spec: registry.MessageKind) -> tuple[str, str] | None:
    """The channel and address for this member and kind, or None when nothing should be sent now."""
    user = member.user
    if user.erased_at is not None or not user.is_active:
        return None
    if not member.is_active and not spec.essential:
        return None
    chosen = (
        Preference.objects.filter(member=member, kind=spec.key).values_list("channel", flat=True).first()
        or spec.default_channel
    )
    if chosen in (ChannelChoice.DIGEST, ChannelChoice.OFF):
        if not spec.essential:
            return None
        chosen = spec.default_channel
    return address_for(user, chosen)


def address_for(user: User, channel: str) -> tuple[str, str] | None:
    """The channel and address to reach ``user`` by, preferring ``channel``; the other channel when there is no
    address for it (no phone yet, say), since that is better than silence; None when there is neither."""
    addresses = {ChannelName.EMAIL.value: user.email, ChannelName.SMS.value: user.phone}
    other = ChannelName.SMS.value if channel == ChannelName.EMAIL else ChannelName.EMAIL.value
    for choice in (channel, other):
        if addresses.get(choice):
            return choice, addresses[choice]
    return None


def after_quiet_hours(member: Member, at: datetime) -> datetime | None:
    """When a text due at ``at`` may go, if the member's quiet hours hold it back; None if it may go then."""
    quiet = NotificationSettings.objects.filter(member=member).values_list("quiet_from", "quiet_until").first()
    if not quiet or quiet[0] is None:
        return None
    local = at.astimezone(ZoneInfo(member.community.time_zone))
    allowed = quiet_hours.next_allowed(local, quiet[0], quiet[1])
    return allowed if allowed > at else None


def _checked(channel: str, to_address: str, body: str) -> tuple[str, str]:
    """The address and body as they will be stored, or a DomainError saying what is wrong with them."""
    if channel not in ChannelName.values:
        raise DomainError("unknown_channel", f"Messages go by {' or '.join(ChannelName.values)}.", "channel")
    to_address, body = to_address.strip(), body.strip()
    if not to_address:
        raise DomainError("address_required", "A message needs an address to go to.", "to_address")
    if not body:
        raise DomainError("message_empty", "A message needs some text.", "body")
    if len(body) > MAX_BODY_CHARS:
        raise DomainError("message_too_long", f"A message can be at most {MAX_BODY_CHARS} characters.", "body")
    if channel == ChannelName.SMS:
        # Cut here rather than in the adapter, so the message log shows exactly what was paid for.
        body = "".join(sms_text.segments(body))
    return to_address, body


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUBJECT_CHARS else text[: MAX_SUBJECT_CHARS - 1] + "…"


# --- sending --------------------------------------------------------------------------------------------------


def claim_batch(limit: int = 50, lease_seconds: int | None = None) -> list[Message]:
    """Claim up to ``limit`` due messages for this worker with one compare-and-set update: queued or scheduled ones
    whose time has come, and ones whose previous worker's lease ran out. Each claim counts as an attempt."""
    limit = max(1, min(limit, CLAIM_BATCH * 10))
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds or settings.OUTBOX_LEASE_SECONDS)
    table = Message._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Message._meta.concrete_fields)
    # SKIP LOCKED lets two workers claim different rows at once instead of queueing on the same ones. SQLite has
    # no row locks (and no need: one writer at a time makes the single UPDATE atomic).
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = f"""
        UPDATE {table} SET status = %s, claim_token = %s, claimed_until = %s, attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM {table}
            WHERE (status IN (%s, %s) AND next_attempt_at <= %s) OR (status = %s AND claimed_until < %s)
            ORDER BY next_attempt_at LIMIT %s{lock})
        RETURNING {columns}
    """  # noqa: S608 - table and column names come from the model, every value is a parameter
    token = uuid.uuid4()
    at = _db_datetime(now)
    params = [
        MessageStatus.SENDING, _db_uuid(token), _db_datetime(now + lease),
        MessageStatus.QUEUED, MessageStatus.SCHEDULED, at, MessageStatus.SENDING, at, limit,
    ]  # fmt: skip
    claimed = list(Message.objects.raw(sql, params))
    claimed.sort(key=lambda m: (m.next_attempt_at, m.pk))
    return claimed


def deliver(message: Message, claim_token: uuid.UUID, *, channel: Channel | None = None) -> str:
    """Send one claimed message and record what happened, if the claim is still ours. Returns the status written
    ("sent", "delivered", "queued" for a retry, "dead", "cancelled"), or "lost" when another worker holds it."""
    if channel is None:
        channel = sms_channel() if message.channel == ChannelName.SMS else email_channel()
    opted_out = _opted_out([message])
    return _deliver(message, claim_token, lambda _: channel, opted_out)


def drain(limit: int = DRAIN_LIMIT) -> int:
    """Send due messages until none are left or ``limit`` have been handled; returns how many were handled."""
    channels: dict[str, Channel] = {}

    def channel_for(message: Message) -> Channel:
        if message.channel not in channels:
            channels[message.channel] = sms_channel() if message.channel == ChannelName.SMS else email_channel()
        return channels[message.channel]

    handled = 0
    while handled < limit:
        batch = claim_batch(min(CLAIM_BATCH, limit - handled))
        if not batch:
            break
        opted_out = _opted_out(batch)
        for message in batch:
            _deliver(message, message.claim_token, channel_for, opted_out)
        handled += len(batch)
    return handled


def _deliver(message: Message, token: uuid.UUID, channel_for: Callable[[Message], Channel], opted_out: set[str]) -> str:
    now = timezone.now()
    if message.claimed_until is not None and message.claimed_until <= now:
        # A slow batch outlived its lease: another worker may already be sending this one.
        return "lost"
    if message.channel == ChannelName.SMS and not message.essential and message.to_address in opted_out:
        return _finish(message, token, MessageStatus.CANCELLED, last_error="The number opted out (STOP).")
    if message.attempts > settings.OUTBOX_MAX_ATTEMPTS:
        # Claimed more often than allowed without ever recording a result: sending it keeps killing the worker.
        return _finish(message, token, MessageStatus.DEAD, last_error="The worker stopped while sending it, too often.")
    outgoing = Outgoing(
        reference=str(message.reference), channel=message.channel, to=message.to_address, body=message.body,
        subject=message.subject, kind=message.kind,
    )  # fmt: skip
    try:
        result = channel_for(message).send(outgoing)
    except PermanentFailure as error:
        return _finish(message, token, MessageStatus.DEAD, last_error=_error(error))
    except Exception as error:  # TemporaryFailure, or an adapter's bug: neither may stop the worker
        if not isinstance(error, TemporaryFailure):
            logger.exception("Sending message %s failed unexpectedly", message.pk)
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            return _finish(message, token, MessageStatus.DEAD, last_error=_error(error))
        delay = backoff.next_attempt_delay_seconds(message.attempts, seed=message.reference)
        return _finish(
            message, token, MessageStatus.QUEUED, last_error=_error(error),
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )  # fmt: skip
    return result.status if _record_sent(message, token, result) else "lost"


def _record_sent(message: Message, token: uuid.UUID, result: SendResult) -> bool:
    """The one write per message on the worker's hot path, so plain SQL rather than the ORM's query building. A
    delivery receipt can beat it (``record_status`` on a row still "sending"): then "delivered" is kept."""
    table = Message._meta.db_table
    sql = f"""
        UPDATE {table} SET status = CASE WHEN delivered_at IS NULL THEN %s ELSE %s END,
            delivered_at = COALESCE(delivered_at, %s), provider_reference = %s, sent_at = %s, last_error = '',
            claim_token = NULL, claimed_until = NULL
        WHERE id = %s AND claim_token = %s
    """  # noqa: S608 - the table name comes from the model, every value is a parameter
    sent_at = _db_datetime(timezone.now())
    params = [
        result.status, MessageStatus.DELIVERED, sent_at if result.status == DELIVERED else None,
        result.provider_reference[:120], sent_at, message.pk, _db_uuid(token),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _finish(message: Message, token: uuid.UUID, status: str, **fields) -> str:
    return status if _record(message, token, status, **fields) else "lost"


def _record(message: Message, token: uuid.UUID, status, **fields) -> bool:
    """Write the outcome only while the claim is still ours, and give the lease up. A token is set by a claim and
    cleared by every outcome, so matching it alone means "still sending, and by us"."""
    mine = Message.objects.filter(pk=message.pk, claim_token=token)
    return bool(mine.update(status=status, claim_token=None, claimed_until=None, **fields))


def _opted_out(messages: Iterable[Message]) -> set[str]:
    """The numbers among these non-essential texts that sent STOP, in one query for the whole batch."""
    phones = {m.to_address for m in messages if m.channel == ChannelName.SMS and not m.essential}
    if not phones:
        return set()
    return set(SmsOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))


def _error(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:MAX_ERROR_CHARS]


def _db_datetime(value: datetime):
    return Message._meta.get_field("next_attempt_at").get_db_prep_value(value, connection)


def _db_uuid(value: uuid.UUID):
    return Message._meta.get_field("claim_token").get_db_prep_value(value, connection)


# --- after sending ---------------------------------------------------------------------------------------------


def retry_dead(message: Message, by: Member) -> Message:
    """Give a message that gave up another full set of attempts, at once. Coordinators only; audited."""
    if not (by.is_coordinator and by.community_id == message.community_id):
        raise DomainError("not_allowed", "Only a coordinator of this community can retry its messages.")
    retried = Message.objects.filter(pk=message.pk, status=MessageStatus.DEAD).update(
        status=MessageStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    if not retried:
        raise DomainError("not_dead", "Only a message that gave up can be retried.")
    audit(by.community, by.user, "notify.message_retried", member=message.member, message=message.pk,
          kind=message.kind, channel=message.channel, last_error=message.last_error)  # fmt: skip
    wake_worker()
    message.refresh_from_db()
    return message


def record_status(update: StatusUpdate) -> bool:
    """Apply a provider's delivery report (``channels.webhooks.StatusUpdate``); False if it matches no message or
    would move one backwards (a late "failed" never undoes "delivered")."""
    try:
        match = Q(reference=uuid.UUID(str(update.reference)))
    except ValueError:
        match = Q(pk__in=[])
    if update.provider_reference:
        match |= Q(provider_reference=update.provider_reference[:120])
    rows = Message.objects.filter(match)
    now = timezone.now()
    if update.status == "delivered":
        # A receipt for a row still "sending" (the provider answered faster than we recorded the send) only
        # notes the time; the worker's own update then keeps "delivered".
        changed = rows.filter(status__in=[MessageStatus.SENT, MessageStatus.FAILED]).update(
            status=MessageStatus.DELIVERED, delivered_at=now
        )
        changed += rows.filter(status=MessageStatus.SENDING, delivered_at__isnull=True).update(delivered_at=now)
        return bool(changed)
    detail = " ".join(str(getattr(update, "detail", "")).split())
    error = f"The provider could not deliver it ({detail})." if detail else "The provider could not deliver it."
    return bool(rows.filter(status=MessageStatus.SENT).update(status=MessageStatus.FAILED, last_error=error[:500]))
