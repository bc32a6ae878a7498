"""Text messages coming in: each is recorded once, STOP and START are honoured at once, every number is
rate-limited, and the rest is parsed and handed to the command an app registered, with the answer written to the
outbox as an essential SMS (a reply to someone who just texted us is not marketing, even after STOP).

Nothing a command handler raises escapes: a ``DomainError`` becomes the reply, anything else is logged and the
person is told something went wrong; the ``InboundSms`` row records what happened either way."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.domain import DomainError, Status, normalise_phone
from ostrom.communities.models import Member, User
from ostrom.notify import registry
from ostrom.notify.channels.webhooks import MAX_INBOUND_TEXT_CHARS, MAX_PROVIDER_ID_CHARS
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.sms_commands import ParsedCommand, ParseError, parse
from ostrom.notify.models import InboundSms, Message, SmsConfirmation, SmsOptOut
from ostrom.notify.registry import MAX_COMMAND_CHARS, SmsContext, SmsReply

from . import outbox

if TYPE_CHECKING:
    from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms

logger = logging.getLogger(__name__)

REPLY_KIND = "notify.sms_reply"
CONFIRMATION_LIFETIME = timedelta(minutes=15)
CODE_DIGITS = 4
# Enough for a few payments in a row; more waiting at once is more likely a mistake (or a script) than a person.
MAX_WAITING_CONFIRMATIONS = 5
# A settled code is kept a day, so a late second YES is told it was already done rather than "no such code";
# after that it is deleted, which keeps every number far from running out of its 10,000 four-digit codes.
SETTLED_KEPT = timedelta(days=1)
MAX_CODE_TRIES = 5
# Only the start of a text can hold an opt-out keyword; the rest need not be scanned.
KEYWORD_SCAN_CHARS = 100

# Carriers' usual opt-out words. CANCEL, END and QUIT count only on their own, so "cancel 1234" still reaches the
# command parser; STOP counts at the start of any text, because missing an opt-out is worse than one too many.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_OUT_LEADING_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})

JOIN_TEXT = (
    "This number is not linked to an Ostrom community. To join, ask a coordinator of your local timebank to "
    "add you with this phone number."
)
STOPPED_TEXT = "You will get no more texts from Ostrom. Reply START to turn them back on."
STARTED_TEXT = "Texts from Ostrom are back on. Reply HELP for the commands or STOP to stop them."
FAILED_TEXT = "Sorry, something went wrong. Please try again later."

# The widths of InboundSms.outcome and SmsConfirmation.summary in models.py.
MAX_OUTCOME_CHARS = 40
MAX_SUMMARY_CHARS = 160
SETTLED_WORDS = {"confirmed": "confirmed", "cancelled": "cancelled"}


def handle_inbound(received: ReceivedSms, now: datetime | None = None) -> Message | None:
    """Act on one received text at most once; return the reply written to the outbox, or None when silent."""
    now = now or timezone.now()
    phone = _phone(received.phone)
    with transaction.atomic():
        row = _record(received, phone, now)
        if row is None:
            return None
        if not phone:
            return _finish(row, None, "invalid_phone")
        parsed = parse(row.text, registry.command_specs())
        keyword = _opt_keyword(row.text, parsed)
        # Opting out (and back in) is a legal duty, so it happens even over the rate limit; only the reply waits.
        if keyword == "STOP":
            opt_out(phone, now)
        elif keyword == "START":
            opt_in(phone)
        verdict = _rate_verdict(phone, now)
        if verdict != "ok":
            return _finish(row, _wait_text() if verdict == "warn" else None, "rate_limited", command=keyword or "")
        if keyword:
            text = STOPPED_TEXT if keyword == "STOP" else STARTED_TEXT
            return _finish(row, text, "opted_out" if keyword == "STOP" else "opted_in", command=keyword)
        return _dispatch(row, parsed, _context(phone), now)


def opt_out(phone: str, now: datetime | None = None) -> None:
    """Stop every non-essential text to ``phone`` until it sends START; a second STOP keeps the first date."""
    SmsOptOut.objects.get_or_create(phone=phone, defaults={"opted_out_at": now or timezone.now()})


def opt_in(phone: str) -> None:
    """Let non-essential texts reach ``phone`` again."""
    SmsOptOut.objects.filter(phone=phone).delete()


def resolve_confirmation(context: SmsContext, code: str, *, accept: bool) -> str:
    """Settle the request this number was sent under ``code`` at most once and return the reply for it."""
    now = timezone.now()
    with transaction.atomic():
        confirmation = (
            SmsConfirmation.objects.select_for_update(of=("self",))
            .select_related("member__user", "member__community")
            .filter(phone=context.phone, code=code.upper())
            .first()
        )
        if confirmation is None:
            raise DomainError("confirmation_not_found", f"No request with code {code} is waiting for this number.")
        settled = confirmation.resolved_at is not None
        expired = confirmation.outcome == "expired" or (not settled and confirmation.expires_at <= now)
        if settled and not expired:
            done = SETTLED_WORDS.get(confirmation.outcome, "settled")
            raise DomainError("confirmation_settled", f"Code {code} was already {done}. Nothing more was done.")
        if expired:
            raise DomainError(
                "confirmation_expired", f"Code {code} has expired. Send the command again for a new code."
            )
        if confirmation.member.status != Status.ACTIVE:
            raise DomainError("member_not_active", "Your membership is not active, so this cannot go ahead.")
        confirm = registry.get_confirmer(confirmation.confirmer) if accept else None
        # The row lock already serialises two YESes; the conditional update is the last line of defence on
        # databases that ignore FOR UPDATE (SQLite), so a confirmer never runs twice.
        claimed = SmsConfirmation.objects.filter(pk=confirmation.pk, resolved_at__isnull=True).update(
            resolved_at=now, outcome="confirmed" if accept else "cancelled"
        )
        if not claimed:
            raise DomainError("confirmation_settled", f"Code {code} was already settled. Nothing more was done.")
        if confirm is None:
            return f"Cancelled: {confirmation.summary}"
        member = confirmation.member
        # The confirmer acts as the membership that asked, even if this text was read in another community.
        asker = SmsContext(phone=context.phone, user=member.user, member=member, community=member.community)
        return confirm(asker, dict(confirmation.payload))


def _phone(raw: str) -> str | None:
    """E.164 (the webhook parsers already give that), or None for a sender we could never reply to."""
    try:
        return normalise_phone(raw)
    except DomainError:
        return None


def _record(received: ReceivedSms, phone: str | None, now: datetime) -> InboundSms | None:
    """The row for this text, or None when the provider already delivered it (a replay or a retry)."""
    provider_id = _storable(received.provider_id or "").strip()
    if not provider_id:
        raise DomainError("provider_id_missing", "The message has no provider id.")
    if len(provider_id) > MAX_PROVIDER_ID_CHARS:
        raise DomainError("provider_id_too_long", "The message's provider id is too long.")
    try:
        with transaction.atomic():
            return InboundSms.objects.create(
                provider_id=provider_id,
                phone=phone or _storable(received.phone).strip()[:16],
                text=_storable(received.text or "")[:MAX_INBOUND_TEXT_CHARS],
                received_at=now,
            )
    except IntegrityError:
        return None


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a phone sends none, so one in a payload is noise and goes.
    return text.replace("\x00", "")


def _opt_keyword(text: str, parsed: ParsedCommand | ParseError) -> str | None:
    """ "STOP" or "START" when the text asks for it in any of the usual words, or as a command with a typo."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text[:KEYWORD_SCAN_CHARS])
    words = cleaned.upper().split()
    if words and (words[0] in OPT_OUT_LEADING_WORDS or (len(words) == 1 and words[0] in OPT_OUT_WORDS)):
        return "STOP"
    if len(words) == 1 and words[0] in OPT_IN_WORDS:
        return "START"
    if isinstance(parsed, ParsedCommand) and parsed.name in ("STOP", "START"):
        return parsed.name
    return None


def _rate_verdict(phone: str, now: datetime) -> str:
    """ "ok" within the limit, "warn" for the first text over it in this window (told to wait), else "silent"."""
    window_seconds = settings.SMS_RATE_WINDOW_SECONDS
    # Fixed windows keyed by their start, so a number that keeps texting is not locked out for ever.
    key = f"sms-rate:{phone}:{int(now.timestamp()) // window_seconds}"
    cache.add(key, 0, window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)
        count = 1
    else:
        # The database cache's incr re-saves the key with the default timeout; keep the window's.
        cache.touch(key, window_seconds)
    if count <= settings.SMS_RATE_LIMIT:
        return "ok"
    return "warn" if count == settings.SMS_RATE_LIMIT + 1 else "silent"


def _wait_text() -> str:
    minutes = max(1, -(-settings.SMS_RATE_WINDOW_SECONDS // 60))
    return f"You have sent a lot of texts. Please wait {minutes} minutes before you send another."


def _context(phone: str) -> SmsContext:
    user = User.objects.filter(phone=phone, is_active=True, erased_at__isnull=True).first()
    member = _membership_for(user, phone) if user else None
    return SmsContext(phone=phone, user=user, member=member, community=member.community if member else None)


def _membership_for(user: User, phone: str) -> Member | None:
    """The membership a text acts in: the community this number last texted about, while that membership is
    active, else the person's oldest active membership. There is no SMS command to switch community yet; a
    person in several communities who wants another one uses the web (or leaves the first)."""
    active = Member.objects.filter(user=user, status=Status.ACTIVE).select_related("community", "user")
    last_community_id = (
        InboundSms.objects.filter(phone=phone, community__isnull=False)
        .order_by("-received_at", "-pk")
        .values_list("community_id", flat=True)
        .first()
    )
    if last_community_id is not None:
        member = active.filter(community_id=last_community_id).first()
        if member is not None:
            return member
    return active.order_by("joined_at", "pk").first()


def _dispatch(
    row: InboundSms, parsed: ParsedCommand | ParseError, context: SmsContext, now: datetime
) -> Message | None:
    if isinstance(parsed, ParseError):
        if context.member is None:
            return _finish(row, JOIN_TEXT, "unknown_number")
        return _finish(row, parsed.message, parsed.code, context)
    command = next((c for c in registry.commands() if c.spec.name == parsed.name), None)
    if command is None:  # unregistered between parse and lookup (only tests change the registry at run time)
        return _finish(row, FAILED_TEXT, "unregistered", context, command=parsed.name)
    if command.needs_member and context.member is None:
        return _finish(row, JOIN_TEXT, "unknown_number", command=parsed.name)
    try:
        # A savepoint, so a handler that fails half-way leaves nothing behind but the reply and the record.
        with transaction.atomic():
            reply = command.handler(context, parsed)
            text = _ask_confirmation(reply, context, now)
        outcome = "confirmation_sent" if reply.confirm else "ok"
    except DomainError as error:
        text, outcome = error.message, f"refused:{error.code}"
    except Exception:
        logger.exception("SMS command %s failed (inbound SMS %s)", parsed.name, row.pk)
        text, outcome = FAILED_TEXT, "error"
    return _finish(row, text, outcome, context, command=parsed.name)


def _ask_confirmation(reply: SmsReply, context: SmsContext, now: datetime) -> str:
    """The reply's text, and when the handler asked for a YES, a stored confirmation and its code."""
    if reply.confirm is None:
        return reply.text
    confirmer, payload = reply.confirm
    registry.get_confirmer(confirmer)  # fail now, not at YES, when an app asks for a confirmer it never registered
    if context.member is None:
        raise ValueError(f"confirmation {confirmer!r} asked for a text from someone who is not a member")
    code = _store_confirmation(context.phone, context.member, confirmer, payload, reply.text, now)
    return f"{reply.text} Reply YES {code} to confirm or NO {code} to cancel."


def _store_confirmation(
    phone: str, member: Member, confirmer: str, payload: dict[str, Any], summary: str, now: datetime
) -> str:
    """A new confirmation under a code no other confirmation of this number holds; returns the code."""
    waiting = SmsConfirmation.objects.filter(phone=phone, resolved_at__isnull=True, expires_at__gt=now)
    if waiting.count() >= MAX_WAITING_CONFIRMATIONS:
        raise DomainError(
            "too_many_waiting",
            f"You have {MAX_WAITING_CONFIRMATIONS} requests waiting. Reply YES or NO to those first.",
        )
    SmsConfirmation.objects.filter(phone=phone, resolved_at__isnull=True, expires_at__lte=now).update(
        resolved_at=now, outcome="expired"
    )
    SmsConfirmation.objects.filter(phone=phone, resolved_at__lt=now - SETTLED_KEPT).delete()
    used = set(SmsConfirmation.objects.filter(phone=phone).values_list("code", flat=True))
    free = [code for n in range(10**CODE_DIGITS) if (code := f"{n:0{CODE_DIGITS}d}") not in used]
    for _ in range(MAX_CODE_TRIES):
        code = secrets.choice(free)
        try:
            with transaction.atomic():
                SmsConfirmation.objects.create(
                    code=code,
                    phone=phone,
                    member=member,
                    confirmer=confirmer,
                    payload=payload,
                    summary=summary[:MAX_SUMMARY_CHARS],
                    created_at=now,
                    expires_at=now + CONFIRMATION_LIFETIME,
                )
        except IntegrityError:  # a text from the same number took this code a moment ago
            continue
        return code
    raise RuntimeError(f"no free confirmation code after {MAX_CODE_TRIES} tries")


def _finish(
    row: InboundSms, text: str | None, outcome: str, context: SmsContext | None = None, command: str = ""
) -> Message | None:
    """Write the reply (if any) to the outbox and record on the inbound row what became of the text."""
    member = context.member if context else None
    reply = None
    if text:
        reply = outbox.enqueue(
            channel="sms",
            to_address=row.phone,
            kind=REPLY_KIND,
            # Cut to the segment cap first: a handler's reply has no length limit, but the outbox refuses long bodies.
            body="".join(sms_text.segments(text)),
            community=member.community if member else None,
            member=member,
            user=context.user if context else None,
            essential=True,
        )
    row.reply = reply
    row.outcome = outcome[:MAX_OUTCOME_CHARS]
    row.command = command[:MAX_COMMAND_CHARS]
    row.member = member
    row.community = member.community if member else None
    row.save(update_fields=["reply", "outcome", "command", "member", "community"])
    return reply
