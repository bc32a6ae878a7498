"""The exchange workflow as a pure state machine: which step each person may take from which status, and the
checks on what they type. No ORM, no request: actions/exchanges.py loads and locks the row, asks ``check``, and
writes.

An exchange goes enquiry → agreed → done → confirmed (one ledger transfer from the receiver to the giver).
Either side may cancel before confirmation or dispute after agreement; a coordinator resolves a dispute by
confirming (perhaps for another amount) or cancelling. A coordinator who is one of the two people has only
that person's rights on it: nobody settles their own dispute or confirms their own help on someone's behalf."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ostrom.communities.domain import DomainError
from ostrom.ledger.domain.amounts import check_amount

WHAT_MAX_CHARS = 200  # Exchange.what
MESSAGE_MAX_CHARS = 2000  # ExchangeMessage.body
CANCEL_REASON_MAX_CHARS = 500  # Exchange.cancel_reason
DISPUTE_REASON_MAX_CHARS = 1000  # Exchange.dispute_reason
RESOLUTION_MAX_CHARS = 1000  # Exchange.resolution
THANKS_MAX_CHARS = 500  # Exchange.thanks_note
ON_BEHALF_REASON_MAX_CHARS = 500  # AuditEntry.reason
# Help is arranged for the coming weeks or months; a date years away is a typing mistake.
MAX_DAYS_AHEAD = 2 * 366
# Six digits: quick to type on a basic phone's keypad, a million codes per community for the few exchanges
# waiting at once, and never the four digits of notify's own YES codes, so the two can't be confused.
CODE_DIGITS = 6


class Status(StrEnum):
    """The values of ExchangeStatus in models/exchanges.py, without the ORM."""

    ENQUIRY = "enquiry"
    AGREED = "agreed"
    DONE = "done"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


OPEN_STATUSES = frozenset({Status.ENQUIRY, Status.AGREED, Status.DONE, Status.DISPUTED})
ALL_STATUSES = frozenset(Status)
# How each status reads in a sentence ("It is agreed now.").
STATUS_WORDS = {
    Status.ENQUIRY: "still being talked over",
    Status.AGREED: "agreed but not yet done",
    Status.DONE: "done and waiting for confirmation",
    Status.CONFIRMED: "confirmed",
    Status.CANCELLED: "cancelled",
    Status.DISPUTED: "disputed, waiting for a coordinator",
}


class Role(StrEnum):
    GIVER = "giver"
    RECEIVER = "receiver"
    COORDINATOR = "coordinator"  # a coordinator of the community who is not one of the two people


class Step(StrEnum):
    WRITE = "write"  # post a message in the thread
    PROPOSE = "propose"  # propose (or change) what, when and how much
    ACCEPT = "accept"  # accept the other side's proposal
    MARK_DONE = "done"
    ASK = "ask"  # the giver asks the receiver to confirm (by web or SMS YES <code>)
    CONFIRM = "confirm"  # the receiver confirms: the transfer is made
    CONFIRM_FOR = "confirm_for"  # a coordinator confirms on the receiver's behalf, with a reason
    DECLINE = "decline"  # the receiver answers NO: not (yet) confirmed
    CANCEL = "cancel"
    DISPUTE = "dispute"
    RESOLVE = "resolve"  # a coordinator confirms or cancels a disputed exchange
    THANK = "thank"
    SHARE = "share"  # share (or stop sharing) one's contact details


PARTIES = (Role.GIVER, Role.RECEIVER)
BEFORE_DONE = frozenset({Status.ENQUIRY, Status.AGREED})
SETTLEABLE = frozenset({Status.AGREED, Status.DONE})

# For each step, who may take it and from which statuses.
RULES: dict[Step, dict[Role, frozenset[Status]]] = {
    Step.WRITE: {Role.GIVER: ALL_STATUSES, Role.RECEIVER: ALL_STATUSES, Role.COORDINATOR: frozenset({Status.DISPUTED})},
    Step.PROPOSE: dict.fromkeys(PARTIES, BEFORE_DONE),
    Step.ACCEPT: dict.fromkeys(PARTIES, frozenset({Status.ENQUIRY})),
    Step.MARK_DONE: dict.fromkeys(PARTIES, frozenset({Status.AGREED})),
    Step.ASK: {Role.GIVER: frozenset({Status.DONE})},
    # The receiver may confirm straight from agreed: saying "I received it" also says it was done.
    Step.CONFIRM: {Role.RECEIVER: SETTLEABLE},
    Step.CONFIRM_FOR: {Role.COORDINATOR: SETTLEABLE},
    Step.DECLINE: {Role.RECEIVER: frozenset({Status.DONE})},
    Step.CANCEL: dict.fromkeys(PARTIES, frozenset({Status.ENQUIRY, Status.AGREED, Status.DONE})),
    Step.DISPUTE: dict.fromkeys(PARTIES, SETTLEABLE),
    Step.RESOLVE: {Role.COORDINATOR: frozenset({Status.DISPUTED})},
    Step.THANK: {Role.RECEIVER: frozenset({Status.CONFIRMED})},
    Step.SHARE: dict.fromkeys(PARTIES, ALL_STATUSES),
}

# Why someone who is part of the exchange (or coordinates) may still not take a step.
WRONG_PARTY = {
    Step.WRITE: "Only the two people in the exchange, and coordinators, write in its thread.",
    Step.PROPOSE: "Only the two people in the exchange can propose its terms.",
    Step.ACCEPT: "Only the two people in the exchange can accept its terms.",
    Step.MARK_DONE: "Only the two people in the exchange can mark it done.",
    Step.ASK: "Only the person who gave the help can ask for it to be confirmed.",
    Step.CONFIRM: "Only the person who received the help can confirm it.",
    Step.CONFIRM_FOR: "Only a coordinator who is not part of the exchange can confirm it on someone's behalf.",
    Step.DECLINE: "Only the person who received the help can say it is not confirmed.",
    Step.CANCEL: "Only the two people in the exchange can cancel it.",
    Step.DISPUTE: "Only the two people in the exchange can dispute it.",
    Step.RESOLVE: "Only a coordinator who is not part of the exchange can resolve the dispute.",
    Step.THANK: "Only the person who received the help can thank the giver here.",
    Step.SHARE: "Only the two people in the exchange share their contact details.",
}
# When a step can be taken, said to someone who tried it at the wrong moment.
WRONG_STATUS = {
    Step.WRITE: "Coordinators write in a thread only while they resolve a dispute.",
    Step.PROPOSE: "Terms can be changed only until the help is marked done.",
    Step.ACCEPT: "There are no terms waiting to be accepted.",
    Step.MARK_DONE: "Only an agreed exchange can be marked done; agree the terms first.",
    Step.ASK: "Ask for confirmation once the exchange is marked done.",
    Step.CONFIRM: "Only an agreed or done exchange can be confirmed.",
    Step.CONFIRM_FOR: "Only an agreed or done exchange can be confirmed.",
    Step.DECLINE: "Only a done exchange waits for confirmation.",
    Step.CANCEL: "Only an exchange that is not yet confirmed or disputed can be cancelled.",
    Step.DISPUTE: "Only an agreed or done exchange can be disputed.",
    Step.RESOLVE: "Only a disputed exchange can be resolved.",
    Step.THANK: "You can say thank you once the exchange is confirmed.",
    Step.SHARE: "Contact details can't be shared now.",
}
ALREADY_CONFIRMED = "This exchange is already confirmed and the transfer made. Nothing more was done."


def roles_for(member_id: int, *, is_coordinator: bool, giver_id: int, receiver_id: int) -> frozenset[Role]:
    """What ``member_id`` is in the exchange: giver, receiver, an outside coordinator, or nothing at all."""
    if member_id == giver_id:
        return frozenset({Role.GIVER})
    if member_id == receiver_id:
        return frozenset({Role.RECEIVER})
    return frozenset({Role.COORDINATOR}) if is_coordinator else frozenset()


def check(step: Step, roles: frozenset[Role], status: str) -> None:
    """Raise a DomainError unless someone with ``roles`` may take ``step`` on an exchange in ``status``."""
    if not roles:
        raise DomainError("exchange_not_yours", "This exchange is not one of yours.")
    rule = RULES[step]
    fitting = roles & rule.keys()
    if not fitting:
        raise DomainError("wrong_party", WRONG_PARTY[step])
    if any(status in rule[role] for role in fitting):
        return
    if status == Status.CONFIRMED:
        raise DomainError("already_confirmed", ALREADY_CONFIRMED)
    raise DomainError("wrong_status", f"{WRONG_STATUS[step]} It is {STATUS_WORDS[Status(status)]} now.")


def allowed_steps(roles: frozenset[Role], status: str) -> frozenset[Step]:
    """Every step ``check`` would let someone with ``roles`` take now (what a page offers them)."""
    return frozenset(
        step for step, rule in RULES.items() if any(status in rule.get(role, frozenset()) for role in roles)
    )


def parties(kind: str, poster_id: int, contact_id: int) -> tuple[int, int]:
    """(giver, receiver) when ``contact_id`` answers a listing of ``kind`` (offer or request) by ``poster_id``: the
    poster of an offer gives, the poster of a request receives."""
    check_two_people(poster_id, contact_id)
    return (poster_id, contact_id) if kind == "offer" else (contact_id, poster_id)


def check_two_people(giver_id: int, receiver_id: int) -> None:
    if giver_id == receiver_id:
        raise DomainError("same_person", "An exchange is between two people: you can't agree one with yourself.")


def check_not_proposer(member_id: int, proposed_by_id: int | None) -> None:
    """The terms are accepted by the side that did not propose them."""
    if proposed_by_id is None:
        raise DomainError("no_proposal", "Nobody has proposed terms yet. Propose what, when and how much first.")
    if proposed_by_id == member_id:
        raise DomainError("own_proposal", "You proposed these terms; the other person accepts them.")


@dataclass(frozen=True)
class Terms:
    """What, when and how much, checked: ``amount`` in the currency's smallest unit."""

    what: str
    scheduled_for: datetime
    amount: int


def check_terms(what: str, scheduled_for: datetime | None, amount: int, now: datetime) -> Terms:
    """The terms as they will be stored, or a DomainError naming the field that is wrong."""
    what = " ".join(str(what).split())
    check_text(what)
    if not what:
        raise DomainError("what_required", "Say what the help is.", "what")
    if len(what) > WHAT_MAX_CHARS:
        raise DomainError("what_too_long", f"Keep what the help is to {WHAT_MAX_CHARS} characters or fewer.", "what")
    if scheduled_for is None:
        raise DomainError("when_required", "Say when the help will be given.", "scheduled_for")
    check_when(scheduled_for, now)
    return Terms(what, scheduled_for, check_amount(amount))


def check_when(scheduled_for: datetime, now: datetime) -> None:
    if scheduled_for.tzinfo is None:
        raise ValueError("scheduled_for must be an aware datetime")
    if scheduled_for < now:
        raise DomainError("date_in_past", "That time has passed. Choose a time from now on.", "scheduled_for")
    if scheduled_for > now + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError("date_too_far", "Choose a time within the next two years.", "scheduled_for")


# Posting limits, so one account cannot flood its neighbours: new conversations a day, messages an hour.
CONTACTS_PER_DAY = 20
MESSAGES_PER_HOUR = 60
CONTACT_WINDOW = timedelta(days=1)
MESSAGE_WINDOW = timedelta(hours=1)


def check_contact_rate(started_in_window: int) -> None:
    """Refuse a new conversation once a member started CONTACTS_PER_DAY of them in the last day."""
    if started_in_window >= CONTACTS_PER_DAY:
        raise DomainError(
            "contact_rate_limited",
            f"You have started {CONTACTS_PER_DAY} conversations in the last day. Please wait until tomorrow, or ask a "
            "coordinator if you need to reach more people.",
        )


def check_message_rate(sent_in_window: int) -> None:
    """Refuse a message once a member wrote MESSAGES_PER_HOUR of them in the last hour."""
    if sent_in_window >= MESSAGES_PER_HOUR:
        raise DomainError(
            "message_rate_limited",
            f"You have sent {MESSAGES_PER_HOUR} messages in the last hour. Please wait a little and try again.",
            "body",
        )


def check_message(body: str) -> str:
    """A thread message as it will be stored: not empty, at most MESSAGE_MAX_CHARS characters."""
    body = str(body).strip()
    check_text(body)
    if not body:
        raise DomainError("message_empty", "Write a message first.", "body")
    if len(body) > MESSAGE_MAX_CHARS:
        raise DomainError("message_too_long", f"Keep a message to {MESSAGE_MAX_CHARS:,} characters or fewer.", "body")
    return body


def check_reason(reason: str, max_chars: int, *, field: str = "reason", required: bool = True) -> str:
    """A reason (for cancelling, disputing, acting on someone's behalf, resolving) as it will be stored."""
    reason = str(reason).strip()
    check_text(reason)
    if required and not reason:
        raise DomainError("reason_required", "Say why.", field)
    if len(reason) > max_chars:
        raise DomainError("reason_too_long", f"Keep it to {max_chars:,} characters or fewer.", field)
    return reason


def check_thanks(note: str) -> str:
    note = str(note).strip()
    check_text(note)
    if not note:
        raise DomainError("thanks_empty", "Write your thank-you note first.", "note")
    if len(note) > THANKS_MAX_CHARS:
        raise DomainError("thanks_too_long", f"Keep the note to {THANKS_MAX_CHARS} characters or fewer.", "note")
    return note


def check_text(text: str) -> None:
    # PostgreSQL text cannot hold NUL: refused in words rather than failing on save.
    if "\x00" in text:
        raise DomainError("text_has_null_character", "Remove the invisible NUL character from the text.")


def new_confirm_code() -> str:
    """A fresh code for YES <code>: CODE_DIGITS random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def is_confirm_code(text: str) -> bool:
    """Whether ``text`` has the shape of an exchange's code (notify's own YES codes have four digits)."""
    return len(text) == CODE_DIGITS and text.isascii() and text.isdigit()
