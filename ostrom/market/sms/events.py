"""Events by text message: ``RSVP <code>`` to go (or join the waiting list when it is full) and ``RSVP <code> NO``
to give a place up. The code is on the event's page, its poster and the digest. The same action as the web's
answers it, so the rules and the words are the same."""

from __future__ import annotations

from ostrom.communities.domain import DomainError
from ostrom.ledger.notices import fit_memo
from ostrom.notify import registry
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from ..access import events as access
from ..actions import events as actions
from ..domain import events as domain
from ..models import RsvpStatus
from ..notices.events import when

RSVP = CommandSpec(
    "RSVP",
    args=(ArgSpec("event", ArgKind.CODE), ArgSpec("answer", ArgKind.WORD, optional=True)),
    summary="go to an event",
)


def register() -> None:
    """Add RSVP to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(RSVP, answer_rsvp))


def answer_rsvp(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """RSVP <code> [NO]: answer the event with that code in the sender's community."""
    member = context.member
    if member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    going = domain.rsvp_answer(command.args.get("answer"))
    code = command.args["event"]
    event = access.find_by_code(member, code)
    if event is None:
        raise DomainError("event_unknown", f"No event here has the code {code}. Check the code on the event's page.")
    answered = actions.rsvp(member, event, going=going)
    at = when(event.starts_at, member)
    mine = answered.rsvp
    if not going:
        if not answered.changed:
            return SmsReply(fit_memo("You were not down for '", event.title, "', so nothing changed."))
        return SmsReply(fit_memo("OK, you are not going to '", event.title, "'. Thanks for letting us know."))
    if mine is not None and mine.status == RsvpStatus.WAITLISTED:
        return SmsReply(
            fit_memo(
                "'",
                event.title,
                f"' is full, so you are on the waiting list. We'll text you if a "
                f"place comes free. To leave it: RSVP {event.rsvp_code} NO",
            )
        )
    return SmsReply(fit_memo("You're going to '", event.title, f"' {at}. Can't come? Text RSVP {event.rsvp_code} NO"))
