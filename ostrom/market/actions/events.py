"""Events' state changes: create and cancel an event, change its capacity, answer it (going, or not going after
all), and take the register.

Capacity is never exceeded, however many answer at once: every change to who is going locks the event's row
first (``select_for_update``; SQLite's writers queue behind BEGIN IMMEDIATE), counts against ``going_count`` kept
in the same transaction, and a CHECK on the table refuses a count above the capacity as the last line of defence.
When someone going cancels, or the host adds places, the first on the waiting list get the places and are told."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation

from ..access import events as access
from ..domain import events as domain
from ..domain.events import EventFields
from ..domain.volunteering import check_text
from ..models import Attendance, Event, EventStatus, Rsvp, RsvpStatus
from ..notices import events as notices

# Tries at a fresh random code before giving up; with 20 million codes a community never needs a second.
MAX_CODE_TRIES = 10


def create_event(host: Member, fields: EventFields, organisation: Organisation | None = None) -> Event:
    """An active member puts on an event, in their organisation's name if they are its staff (or a coordinator)."""
    if not access.can_host(host):
        raise DomainError("not_allowed", "Only active members of this community can put on an event.")
    if organisation is not None and not access.can_host_for(host, organisation):
        raise DomainError(
            "not_allowed", f"Only {organisation.name}'s staff or a coordinator can host in its name.", "organisation"
        )
    checked = domain.check_event(fields, timezone.now())
    for _ in range(MAX_CODE_TRIES):
        code = domain.new_rsvp_code()
        try:
            with transaction.atomic():
                return Event.objects.create(
                    community_id=host.community_id,
                    host=host,
                    organisation=organisation,
                    title=checked.title,
                    description=checked.description,
                    starts_at=checked.starts_at,
                    ends_at=checked.ends_at,
                    place=checked.place,
                    capacity=checked.capacity,
                    rsvp_code=code,
                )
        except IntegrityError:
            if not Event.objects.filter(community_id=host.community_id, rsvp_code=code).exists():
                raise
            # The code was taken (by an earlier event, or one created this very moment): draw another.
    raise RuntimeError(f"no free RSVP code after {MAX_CODE_TRIES} tries")


def cancel_event(actor: Member, event: Event, reason: str = "") -> Event:
    """The host (or a coordinator) calls the event off; everyone going or waiting is told."""
    _require_manager(actor, event, "cancel it")
    reason = check_text(
        reason, field="reason", max_chars=domain.CANCEL_REASON_MAX_CHARS, required=False, what="the reason"
    )
    with transaction.atomic():
        locked = _lock(event)
        if locked.status == EventStatus.CANCELLED:
            return locked
        if locked.ends_at <= timezone.now():
            raise DomainError("event_over", "This event is already over.")
        now = timezone.now()
        locked.status, locked.cancelled_at, locked.cancel_reason, locked.updated_at = (
            EventStatus.CANCELLED,
            now,
            reason,
            now,
        )
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        told = locked.rsvps.filter(status__in=[RsvpStatus.GOING, RsvpStatus.WAITLISTED]).select_related(
            "member__user", "member__community"
        )
        for rsvp in told:
            notices.event_cancelled(locked, rsvp.member)
        if locked.host_id != actor.pk:
            audit(actor.community, actor.user, "market.event_cancelled", locked.host, reason, event=locked.pk)
    return locked


def change_capacity(actor: Member, event: Event, capacity: int | None) -> Event:
    """The host changes the number of places (None: no limit); never below those already going. New places go to
    the waiting list first."""
    _require_manager(actor, event, "change its places")
    if capacity is not None:
        domain.check_whole(
            capacity,
            field="capacity",
            low=1,
            high=domain.MAX_CAPACITY,
            message=f"Give the number of places, from 1 to {domain.MAX_CAPACITY:,}, or none.",
        )
    with transaction.atomic():
        locked = _lock(event)
        domain.check_rsvp_open(
            cancelled=locked.status == EventStatus.CANCELLED, starts_at=locked.starts_at, now=timezone.now()
        )
        if capacity is not None and capacity < locked.going_count:
            raise DomainError(
                "capacity_below_going",
                f"{locked.going_count} people are going already, so there must be at least {locked.going_count} "
                "places.",
                "capacity",
            )
        locked.capacity, locked.updated_at = capacity, timezone.now()
        locked.save(update_fields=["capacity", "updated_at"])
        _promote(locked)
    return locked


# --- answers -----------------------------------------------------------------------------------------------------


@dataclass
class Answered:
    """What an answer did: the member's RSVP as it now stands (None if they had none to cancel), whether anything
    changed, and who got a place from the waiting list because of it."""

    event: Event
    rsvp: Rsvp | None
    changed: bool
    promoted: list[Rsvp] = field(default_factory=list)


def rsvp(member: Member, event: Event, going: bool = True) -> Answered:
    """Say you are going (a place if there is one, else the waiting list), or that you are not going after all
    (your place goes to the first on the waiting list). Answering the same again changes nothing."""
    if not member.is_active or member.community_id != event.community_id:
        raise DomainError("not_allowed", "Only active members of this community can answer.")
    with transaction.atomic():
        locked = _lock(event)
        domain.check_rsvp_open(
            cancelled=locked.status == EventStatus.CANCELLED, starts_at=locked.starts_at, now=timezone.now()
        )
        mine = Rsvp.objects.filter(event=locked, member=member).first()
        return _going(locked, member, mine) if going else _not_going(locked, mine)


def _going(event: Event, member: Member, mine: Rsvp | None) -> Answered:
    if mine is not None and mine.status in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        return Answered(event, mine, changed=False)
    now = timezone.now()
    status = RsvpStatus.GOING if domain.has_room(event.capacity, event.going_count) else RsvpStatus.WAITLISTED
    if status == RsvpStatus.GOING:
        _count_going(event, +1)
    queued_at = now if status == RsvpStatus.WAITLISTED else None
    if mine is None:
        mine = Rsvp.objects.create(
            community_id=event.community_id, event=event, member=member, status=status, queued_at=queued_at
        )
    else:
        mine.status, mine.queued_at, mine.updated_at = status, queued_at, now
        mine.save(update_fields=["status", "queued_at", "updated_at"])
    return Answered(event, mine, changed=True)


def _not_going(event: Event, mine: Rsvp | None) -> Answered:
    if mine is None or mine.status == RsvpStatus.CANCELLED:
        return Answered(event, mine, changed=False)
    had_place = mine.status == RsvpStatus.GOING
    mine.status, mine.queued_at, mine.updated_at = RsvpStatus.CANCELLED, None, timezone.now()
    mine.save(update_fields=["status", "queued_at", "updated_at"])
    promoted = []
    if had_place:
        _count_going(event, -1)
        promoted = _promote(event)
    return Answered(event, mine, changed=True, promoted=promoted)


def _promote(event: Event) -> list[Rsvp]:
    """Give free places to the front of the waiting list, and tell them; call with the event's row locked."""
    waiting = event.rsvps.filter(status=RsvpStatus.WAITLISTED)
    count = domain.promotions(event.capacity, event.going_count, waiting.count())
    if not count:
        return []
    promoted = list(waiting.select_related("member__user", "member__community").order_by("queued_at", "pk")[:count])
    now = timezone.now()
    for each in promoted:
        each.status, each.queued_at, each.updated_at = RsvpStatus.GOING, None, now
        each.save(update_fields=["status", "queued_at", "updated_at"])
        notices.waitlist_promoted(event, each.member)
    _count_going(event, len(promoted))
    return promoted


def _count_going(event: Event, change: int) -> None:
    """Move ``going_count`` in the database (the CHECK there refuses going over capacity) and on ``event``."""
    try:
        with transaction.atomic():
            Event.objects.filter(pk=event.pk).update(going_count=F("going_count") + change, updated_at=timezone.now())
    except IntegrityError:  # only reachable if a caller forgot the lock: the database still says no
        raise DomainError("event_full", "Sorry, the last place has just gone.") from None
    event.going_count += change


def _lock(event: Event) -> Event:
    # Only the event row: the host and organisation are read, not locked (nor outer-joined, which FOR UPDATE refuses).
    return Event.objects.select_for_update(of=("self",)).select_related("host", "organisation").get(pk=event.pk)


# --- the register ------------------------------------------------------------------------------------------------


def mark_present(actor: Member, event: Event, member: Member | None = None, walk_in_name: str = "") -> Attendance:
    """The host notes someone who came: a member of the community, or a walk-in by name."""
    _require_manager(actor, event, "take its register")
    domain.check_attendance_open(
        cancelled=event.status == EventStatus.CANCELLED, starts_at=event.starts_at, now=timezone.now()
    )
    if (member is None) == (not walk_in_name.strip()):
        raise DomainError("who_came", "Choose a member, or write the name of someone who came without one.", "member")
    if member is not None and member.community_id != event.community_id:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    name = check_text(
        walk_in_name, field="walk_in_name", max_chars=domain.WALK_IN_NAME_MAX_CHARS, required=False, what="the name"
    )
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                community_id=event.community_id, event=event, member=member, walk_in_name=name, marked_by=actor
            )
            if event.host_id != actor.pk:
                audit(actor.community, actor.user, "market.attendance_marked", member, "", event=event.pk)
            return attendance
    except IntegrityError:
        raise DomainError(
            "already_marked", f"{member.display_name if member else name} is already on the register.", "member"
        ) from None


def unmark(actor: Member, attendance: Attendance) -> None:
    """Take someone off the register, when they were marked by mistake."""
    event = attendance.event
    _require_manager(actor, event, "take its register")
    domain.check_attendance_open(
        cancelled=event.status == EventStatus.CANCELLED, starts_at=event.starts_at, now=timezone.now()
    )
    Attendance.objects.filter(pk=attendance.pk).delete()


def _require_manager(actor: Member, event: Event, what: str) -> None:
    if not access.can_manage_event(actor, event):
        raise DomainError("not_allowed", f"Only the host or a coordinator can {what}.")
