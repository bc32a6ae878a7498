"""Rotas' state changes: teams and care circles, their members and recurring shifts, availability, making the rota,
swaps, volunteering for an empty seat, logging hours to the timebank, reminders and unfilled-shift alerts.

Self-managed: whoever creates a team is its organiser, and organisers (not coordinators) run it. The fair-load
scheduler is domain.rota's; this module turns the team's weekly patterns into the domain's shifts (one domain shift
per seat when a shift needs several people), runs it, and writes Shift and ShiftAssignment rows. Patterns are
local wall-clock times in the community's zone; each concrete shift is converted to UTC on its own day, so a
09:00 visit stays at 09:00 across the clocks changing.

Every change to who is on which shift locks the team's row first, so a swap, a volunteer, someone leaving and a
regeneration never interleave. Hours go to the timebank as the market's volunteering does: issued from the
issuance account of the team's timebank currency to the member's account, once per assignment (the transfer's key
is a uuid5 of the assignment, and the assignment keeps the transfer)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.text import slugify

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Account, AccountKind, AccountStatus, Currency, CurrencyKind

from ..access import rotas as access
from ..domain import rota as domain
from ..models import (
    Shift,
    ShiftAssignment,
    ShiftPattern,
    SwapRequest,
    SwapStatus,
    Team,
    TeamAvailability,
    TeamKind,
    TeamMember,
)
from ..notices import rotas as notices

MINUTES_PER_DAY = domain.MINUTES_PER_DAY
MINUTES_PER_WEEK = domain.MINUTES_PER_WEEK
# A rota is made for 1 to 12 weeks at a time, starting at most 8 weeks ahead: so everything still to come fits the
# domain's half-year horizon, which is also how far ahead swaps and the load table look.
MAX_WEEKS = 12
MAX_WEEKS_AHEAD = 8
UPCOMING = timedelta(weeks=domain.MAX_WEEKS)
# Seats a week (a pattern needing 3 people is 3 seats): 35 is five daily visits; with the horizon above it keeps
# every rota within the domain's 1,000 shifts.
MAX_SEATS_PER_WEEK = 35
MAX_PEOPLE_PER_SHIFT = 10
MAX_TEAM_MEMBERS = 50
NAME_MAX_CHARS = 120
TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 4000
NOTE_MAX_CHARS = 300
MAX_MINUTES_PER_ROTA = MAX_WEEKS * MINUTES_PER_WEEK
# Reminders go the day before; unfilled shifts are announced a week ahead, not all twelve weeks' worth at once.
REMIND_AHEAD = timedelta(hours=24)
ALERT_AHEAD = timedelta(days=7)
BATCH = 500
MEMBER_LEFT = "member_left"
UNFILLED_MESSAGES = {
    **domain.UNFILLED_MESSAGES,
    MEMBER_LEFT: "Someone who was on this shift has left the team.",
}
HOURS_NAMESPACE = uuid.UUID("6f0c3c2e-8d54-5b7e-9a55-2f6c0b1d7a31")
TRANSFER_CATEGORY = "care_rota"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- teams ---------------------------------------------------------------------------------------------------------


def create_team(
    creator: Member, name: str, kind: str = TeamKind.TEAM, description: str = "", timebank: Currency | None = None
) -> Team:
    """A member starts a self-managed team or a care circle and becomes its first organiser."""
    if not access.can_create_team(creator):
        raise DomainError("not_allowed", "Only active members of this community can start a team.")
    name = _text(name, "name", NAME_MAX_CHARS, "the team's name", required=True)
    description = _text(description, "description", DESCRIPTION_MAX_CHARS, "the description")
    if kind not in TeamKind.values:
        raise DomainError("kind_invalid", "Choose a self-managed team or a care circle.", "kind")
    _check_timebank(creator.community_id, timebank)
    base = slugify(name)[:50] or "team"
    with transaction.atomic():
        for number in range(1, 100):
            slug = base if number == 1 else f"{base}-{number}"
            if Team.objects.filter(community_id=creator.community_id, slug=slug).exists():
                continue
            try:
                with transaction.atomic():
                    team = Team.objects.create(
                        community_id=creator.community_id, kind=kind, name=name, slug=slug,
                        description=description, timebank=timebank, created_by=creator,
                    )  # fmt: skip
            except IntegrityError:  # the same name at the same moment: try the next number
                continue
            TeamMember.objects.create(community_id=team.community_id, team=team, member=creator, is_organiser=True)
            return team
    raise DomainError("name_taken", "There are too many teams with this name. Choose another.", "name")


def update_team(actor: Member, team: Team, description: str, timebank: Currency | None) -> Team:
    """An organiser changes the description and the timebank hours are logged in (None: no logging)."""
    _require_organiser(actor, team, "change the team")
    description = _text(description, "description", DESCRIPTION_MAX_CHARS, "the description")
    _check_timebank(team.community_id, timebank)
    team.description, team.timebank = description, timebank
    team.save(update_fields=["description", "timebank"])
    return team


def add_member(
    actor: Member, team: Team, member: Member, *, is_organiser: bool = False, max_minutes: int | None = None
) -> TeamMember:
    """An organiser adds an active member of the community, with the most minutes they will do on one rota."""
    _require_organiser(actor, team, "add people")
    if member.community_id != team.community_id or not member.is_active:
        raise DomainError("member_unknown", "Only active members of this community can join the team.", "member")
    _check_max_minutes(max_minutes)
    with transaction.atomic():
        _lock_team(team)
        if TeamMember.objects.filter(team=team).count() >= MAX_TEAM_MEMBERS:
            raise DomainError("team_full", f"A team can have at most {MAX_TEAM_MEMBERS} people.", "member")
        if TeamMember.objects.filter(team=team, member=member).exists():
            raise DomainError("already_in_team", f"{member.display_name} is already in the team.", "member")
        return TeamMember.objects.create(
            community_id=team.community_id, team=team, member=member, is_organiser=is_organiser,
            max_minutes_per_rota=max_minutes,
        )  # fmt: skip


def update_member(actor: Member, team_member: TeamMember, *, is_organiser: bool, max_minutes: int | None) -> TeamMember:
    """An organiser changes someone's role or most minutes per rota; the team keeps at least one organiser."""
    team = team_member.team
    _require_organiser(actor, team, "change people's details")
    _check_max_minutes(max_minutes)
    with transaction.atomic():
        _lock_team(team)
        locked = TeamMember.objects.select_for_update().get(pk=team_member.pk)
        if locked.is_organiser and not is_organiser:
            _check_other_organiser(team, locked)
        locked.is_organiser, locked.max_minutes_per_rota = is_organiser, max_minutes
        locked.save(update_fields=["is_organiser", "max_minutes_per_rota"])
    return locked


def remove_member(actor: Member, team_member: TeamMember) -> list[Shift]:
    """Someone leaves (or an organiser takes them off): their shifts still to come lose them, and the team is told
    about each one that is now short. Returns those shifts."""
    team = team_member.team
    if actor.pk != team_member.member_id:
        _require_organiser(actor, team, "take people off the team")
    with transaction.atomic():
        _lock_team(team)
        locked = TeamMember.objects.select_for_update().get(pk=team_member.pk)
        if locked.is_organiser:
            _check_other_organiser(team, locked)
        now = timezone.now()
        leaving = list(
            ShiftAssignment.objects.filter(shift__team=team, member_id=locked.member_id, shift__starts_at__gt=now)
            .select_related("shift")
            .order_by("pk")
        )
        shifts = [assignment.shift for assignment in leaving]
        SwapRequest.objects.filter(assignment__in=leaving).delete()
        ShiftAssignment.objects.filter(pk__in=[assignment.pk for assignment in leaving]).delete()
        Shift.objects.filter(pk__in=[shift.pk for shift in shifts]).update(
            unfilled_reason=MEMBER_LEFT, unfilled_alerted_at=None
        )
        locked.delete()
        if actor.pk != team_member.member_id:
            audit(actor.community, actor.user, "commons.team_member_removed", team_member.member, "", team=team.pk)
    return shifts


def _check_other_organiser(team: Team, leaving: TeamMember) -> None:
    if not TeamMember.objects.filter(team=team, is_organiser=True).exclude(pk=leaving.pk).exists():
        raise DomainError(
            "last_organiser", "The team needs at least one organiser. Make someone else an organiser first.", "member"
        )


# --- shift patterns ------------------------------------------------------------------------------------------------


def add_pattern(
    actor: Member,
    team: Team,
    title: str,
    weekday: int,
    start_minute: int,
    duration_minutes: int,
    people_needed: int = 1,
) -> ShiftPattern:
    """An organiser adds a weekly shift: a weekday (0 Monday), a start in minutes after local midnight, a length."""
    _require_organiser(actor, team, "add shifts")
    title = _text(title, "title", TITLE_MAX_CHARS, "the shift's name", required=True)
    if not _is_int(weekday) or not 0 <= weekday <= 6:
        raise DomainError("weekday_invalid", "Choose a day of the week, Monday to Sunday.", "weekday")
    if not _is_int(start_minute) or not 0 <= start_minute < MINUTES_PER_DAY:
        raise DomainError("start_invalid", "A shift starts at a time of day, from 00:00 to 23:59.", "start_minute")
    if not _is_int(duration_minutes) or not 1 <= duration_minutes <= domain.MAX_SHIFT_MINUTES:
        raise DomainError(
            "shift_duration_invalid", "A shift lasts from 1 minute to 24 hours, in whole minutes.", "duration_minutes"
        )
    if not _is_int(people_needed) or not 1 <= people_needed <= MAX_PEOPLE_PER_SHIFT:
        raise DomainError(
            "people_needed_invalid", f"A shift needs from 1 to {MAX_PEOPLE_PER_SHIFT} people.", "people_needed"
        )
    with transaction.atomic():
        _lock_team(team)
        seats = sum(team.patterns.filter(is_active=True).values_list("people_needed", flat=True))
        if seats + people_needed > MAX_SEATS_PER_WEEK:
            raise DomainError(
                "too_many_shifts",
                f"A team can fill at most {MAX_SEATS_PER_WEEK} places on shifts a week; this would make "
                f"{seats + people_needed}.",
                "people_needed",
            )
        return ShiftPattern.objects.create(
            community_id=team.community_id, team=team, title=title, weekday=weekday, start_minute=start_minute,
            duration_minutes=duration_minutes, people_needed=people_needed,
        )  # fmt: skip


def remove_pattern(actor: Member, pattern: ShiftPattern) -> ShiftPattern:
    """An organiser stops a weekly shift; its shifts still to come are taken off the rota."""
    team = pattern.team
    _require_organiser(actor, team, "remove shifts")
    with transaction.atomic():
        _lock_team(team)
        pattern.is_active = False
        pattern.save(update_fields=["is_active"])
        pattern.shifts.filter(starts_at__gt=timezone.now()).delete()
    return pattern


# --- availability --------------------------------------------------------------------------------------------------


def set_availability(
    actor: Member, team_member: TeamMember, windows: Iterable[tuple[int, int]]
) -> list[TeamAvailability]:
    """Replace someone's weekly windows (minutes after Monday 00:00, local time); they or an organiser may."""
    team = team_member.team
    if actor.pk != team_member.member_id:
        _require_organiser(actor, team, "change someone else's availability")
    checked = sorted(set(windows))
    if len(checked) > domain.MAX_WINDOWS:
        raise DomainError("too_many_windows", f"Give at most {domain.MAX_WINDOWS} times a week.", "availability")
    for start, end in checked:
        _check_window(start, end)
    with transaction.atomic():
        _lock_team(team)
        TeamAvailability.objects.filter(team_member=team_member).delete()
        rows = TeamAvailability.objects.bulk_create(
            TeamAvailability(
                community_id=team.community_id,
                team_member=team_member,
                start_minute_of_week=start,
                end_minute_of_week=end,
            )
            for start, end in checked
        )
        if actor.pk != team_member.member_id:
            audit(actor.community, actor.user, "commons.availability_set", team_member.member, "", team=team.pk)
    return rows


def window_of(pattern: ShiftPattern) -> tuple[int, int]:
    """The weekly window that covers exactly this shift: "I can do this shift"."""
    start = pattern.weekday * MINUTES_PER_DAY + pattern.start_minute
    return start, start + pattern.duration_minutes


def windows_of(team_member: TeamMember) -> list[tuple[int, int]]:
    return list(
        team_member.availability.order_by("start_minute_of_week", "end_minute_of_week").values_list(
            "start_minute_of_week", "end_minute_of_week"
        )
    )


def _check_window(start: int, end: int) -> None:
    if not (_is_int(start) and _is_int(end)) or not 0 <= start < MINUTES_PER_WEEK:
        raise DomainError("window_invalid", "A time you can work must start within the week.", "availability")
    if not start < end <= start + MINUTES_PER_WEEK:
        raise DomainError(
            "window_invalid", "The time you can work until must be after the time you start.", "availability"
        )


# --- the rota ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """What making a rota did: the shifts written, how many seats stayed empty, and the domain's rota."""

    shifts: list[Shift]
    unfilled_seats: int
    kept: int
    rota: domain.Rota


def generate_rota(actor: Member, team: Team, first_monday: date, weeks: int) -> Generated:
    """Make the rota for ``weeks`` weeks from ``first_monday``: every shift not yet started in those weeks is
    (re)made from the weekly patterns and filled fairly; shifts that have started (or whose hours are logged)
    are kept as they are."""
    _require_organiser(actor, team, "make the rota")
    if not isinstance(first_monday, date) or first_monday.weekday() != 0:
        raise DomainError("not_a_monday", "A rota starts on a Monday. Pick the Monday of the first week.", "first_day")
    if not _is_int(weeks) or not 1 <= weeks <= MAX_WEEKS:
        raise DomainError("weeks_invalid", f"A rota covers from 1 to {MAX_WEEKS} weeks.", "weeks")
    zone = ZoneInfo(team.community.time_zone)
    now = timezone.now()
    today = timezone.localdate(now, zone)
    # Dates first: a date centuries away is refused before it is turned into a time.
    if first_monday > today + timedelta(weeks=MAX_WEEKS_AHEAD):
        raise DomainError(
            "rota_too_far", f"A rota can start at most {MAX_WEEKS_AHEAD} weeks ahead. Pick an earlier Monday.",
            "first_day",
        )  # fmt: skip
    if first_monday + timedelta(weeks=weeks) < today:
        raise DomainError("rota_in_past", "Those weeks are over. Pick this week's Monday or a later one.", "first_day")
    horizon_start = wall_clock_to_utc(first_monday, 0, zone)
    horizon_end = wall_clock_to_utc(first_monday + timedelta(weeks=weeks), 0, zone)
    if horizon_end <= now:
        raise DomainError("rota_in_past", "Those weeks are over. Pick this week's Monday or a later one.", "first_day")
    with transaction.atomic():
        _lock_team(team)
        patterns = list(access.team_patterns(team))
        if not patterns:
            raise DomainError("no_shifts", "The team has no weekly shifts yet. Add them first.", "shifts")
        memberships = list(team.memberships.prefetch_related("availability").order_by("member_id"))
        in_horizon = team.shifts.filter(starts_at__gte=horizon_start, starts_at__lt=horizon_end)
        replaced = in_horizon.filter(pattern__isnull=False, starts_at__gt=now).exclude(
            assignments__hours_transfer__isnull=False
        )
        replaced_ids = list(replaced.values_list("pk", flat=True))
        kept = list(in_horizon.exclude(pk__in=replaced_ids).prefetch_related("assignments"))
        Shift.objects.filter(pk__in=replaced_ids).delete()
        plan = _plan(patterns, first_monday, weeks, zone, now, {(s.pattern_id, s.starts_at) for s in kept})
        if not plan:
            raise DomainError("nothing_to_plan", "Every shift in those weeks has already started.", "first_day")
        kept_minutes: dict[int, int] = defaultdict(int)
        for shift in kept:
            for assignment in shift.assignments.all():
                kept_minutes[assignment.member_id] += shift_minutes(shift)
        members = [_domain_member(tm, kept_minutes[tm.member_id]) for tm in memberships]
        availability = {tm.member_id: _availability(tm) for tm in memberships}
        rota = domain.schedule_rota([seat for seat, _ in plan], members, availability, seed=team.pk)
        shifts, unfilled_seats = _write_rota(team, plan, rota)
    return Generated(shifts, unfilled_seats, len(kept), rota)


@dataclass(frozen=True)
class _Slot:
    pattern: ShiftPattern
    starts_at: datetime
    ends_at: datetime


def _plan(
    patterns: Sequence[ShiftPattern],
    first_monday: date,
    weeks: int,
    zone: ZoneInfo,
    now: datetime,
    kept: set[tuple[int | None, datetime]],
) -> list[tuple[domain.Shift, _Slot]]:
    """The domain's shifts (one per seat) still to fill, each with the pattern and UTC times it comes from."""
    by_template = {}
    templates = []
    for pattern in patterns:
        start = pattern.weekday * MINUTES_PER_DAY + pattern.start_minute
        for seat in range(1, pattern.people_needed + 1):
            template_id = f"p{pattern.pk}s{seat}"
            by_template[template_id] = pattern
            templates.append(domain.RecurringShift(template_id, start, pattern.duration_minutes))
    plan = []
    for seat in domain.occurrences(templates, first_monday, weeks):
        pattern = by_template[seat.template_id]
        starts_at, ends_at = shift_times(first_monday, seat.start_minute, seat.duration_minutes, zone)
        if starts_at <= now or (pattern.pk, starts_at) in kept:
            continue
        plan.append((seat, _Slot(pattern, starts_at, ends_at)))
    return plan


def _write_rota(team: Team, plan: list[tuple[domain.Shift, _Slot]], rota: domain.Rota) -> tuple[list[Shift], int]:
    reasons = {entry.shift.shift_id: entry.reason for entry in domain.unfilled(rota)}
    seats_of: dict[tuple[int, datetime], list[domain.Shift]] = defaultdict(list)
    slot_of: dict[tuple[int, datetime], _Slot] = {}
    for seat, slot in plan:
        seats_of[(slot.pattern.pk, slot.starts_at)].append(seat)
        slot_of[(slot.pattern.pk, slot.starts_at)] = slot
    shifts, assignments, unfilled_seats = [], [], 0
    for key in sorted(seats_of, key=lambda k: (k[1], k[0])):
        slot, seats = slot_of[key], sorted(seats_of[key], key=lambda s: s.shift_id)
        empty = [seat for seat in seats if seat.shift_id in reasons]
        unfilled_seats += len(empty)
        shift = Shift.objects.create(
            community_id=team.community_id, team=team, pattern=slot.pattern, title=slot.pattern.title,
            starts_at=slot.starts_at, ends_at=slot.ends_at, people_needed=slot.pattern.people_needed,
            unfilled_reason=reasons[empty[0].shift_id] if empty else "",
        )  # fmt: skip
        shifts.append(shift)
        assignments += [
            ShiftAssignment(community_id=team.community_id, shift=shift, member_id=rota.assignments[seat.shift_id])
            for seat in seats
            if seat.shift_id in rota.assignments
        ]
    ShiftAssignment.objects.bulk_create(assignments)
    return shifts, unfilled_seats


def wall_clock_to_utc(first_monday: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC moment of local wall-clock time ``minute`` minutes after ``first_monday`` 00:00 in ``zone``.

    A time the clocks skip (01:30 as they go forward) is read with the offset before the change, so it falls an
    hour later on the new clock; a time they pass twice is the first of the two."""
    naive = datetime.combine(first_monday, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def shift_times(
    first_monday: date, start_minute: int, duration_minutes: int, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """A shift's UTC start and end from its local wall-clock start and length: 22:00 to 06:00 is 22:00 to 06:00 on
    the clock, however long the night is when the clocks change."""
    starts_at = wall_clock_to_utc(first_monday, start_minute, zone)
    ends_at = wall_clock_to_utc(first_monday, start_minute + duration_minutes, zone)
    if ends_at <= starts_at:  # both ends around a skipped hour: keep the length
        ends_at = starts_at + timedelta(minutes=duration_minutes)
    return starts_at, ends_at


def shift_minutes(shift: Shift) -> int:
    """How long the shift really lasts, in whole minutes (what the timebank is paid)."""
    return int((shift.ends_at - shift.starts_at).total_seconds()) // 60


def _domain_member(team_member: TeamMember, already_minutes: int) -> domain.Member:
    cap = team_member.max_minutes_per_rota
    return domain.Member(team_member.member_id, None if cap is None else max(cap - already_minutes, 0))


def _availability(team_member: TeamMember, extra_shift_ids: Iterable[str] = ()) -> domain.Availability:
    return domain.Availability(
        shift_ids=frozenset(extra_shift_ids),
        windows=tuple(
            domain.Window(row.start_minute_of_week, row.end_minute_of_week) for row in team_member.availability.all()
        ),
    )


# --- loads: the team's shifts still to come as a domain rota ---------------------------------------------------------


@dataclass
class TeamRota:
    """The team's shifts in a period as the domain sees them: one domain shift per seat, with the mapping back."""

    rota: domain.Rota
    seat_of: dict[int, str]  # assignment pk -> domain shift id
    template_of: dict[int, str]  # shift pk -> domain template id (all its seats)
    memberships: list[TeamMember] = field(default_factory=list)

    def load_rows(self) -> list[Load]:
        rota = self.rota
        return [
            Load(
                tm.member,
                rota.loads_minutes.get(tm.member_id, 0),
                rota.fair_share_minutes.get(tm.member_id, Fraction(0)),
                rota.excess_minutes.get(tm.member_id, Fraction(0)) == 0,
                tm.max_minutes_per_rota,
            )
            for tm in self.memberships
        ]


@dataclass(frozen=True)
class Load:
    """A member's minutes on the rota against their fair share (within one shift of it, or not)."""

    member: Member
    minutes: int
    fair_share_minutes: Fraction
    within_one_shift: bool
    max_minutes: int | None


def team_rota(
    team: Team, start: datetime, end: datetime, volunteers: dict[int, Iterable[str]] | None = None
) -> TeamRota:
    """The team's shifts starting in [start, end) as a domain Rota (loads, fair shares); ``volunteers`` adds shifts
    (domain template ids) people have said they will do, beyond their weekly windows."""
    zone = ZoneInfo(team.community.time_zone)
    shifts = list(access.team_shifts(team, start, end)[: domain.MAX_SHIFTS])
    memberships = list(team.memberships.select_related("member").prefetch_related("availability").order_by("member_id"))
    known = {tm.member_id for tm in memberships}
    first_monday = _monday_of(shifts[0].starts_at.astimezone(zone).date()) if shifts else start.date()
    origin = datetime.combine(first_monday, time())
    domain_shifts, assignments, seat_of, template_of = [], {}, {}, {}
    for shift in shifts:
        local_start = shift.starts_at.astimezone(zone).replace(tzinfo=None)
        local_end = shift.ends_at.astimezone(zone).replace(tzinfo=None)
        start_minute = int((local_start - origin).total_seconds()) // 60
        duration = min(max(int((local_end - local_start).total_seconds()) // 60, 1), domain.MAX_SHIFT_MINUTES)
        template_id = f"s{shift.pk}"
        template_of[shift.pk] = template_id
        people = sorted(shift.assignments.all(), key=lambda a: a.pk)
        for seat in range(1, max(shift.people_needed, len(people)) + 1):
            shift_id = f"{template_id}n{seat}"
            domain_shifts.append(domain.Shift(shift_id, template_id, local_start.date(), start_minute, duration))
            if seat <= len(people) and people[seat - 1].member_id in known:
                assignments[shift_id] = people[seat - 1].member_id
                seat_of[people[seat - 1].pk] = shift_id
    extra = volunteers or {}
    rota = domain.Rota(
        tuple(domain_shifts),
        tuple(domain.Member(tm.member_id, tm.max_minutes_per_rota) for tm in memberships),
        {tm.member_id: _availability(tm, extra.get(tm.member_id, ())) for tm in memberships},
        assignments,
        (),
        team.pk,
    )
    return TeamRota(rota, seat_of, template_of, memberships)


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- swaps ---------------------------------------------------------------------------------------------------------


def offer_swap(
    member: Member, assignment: ShiftAssignment, note: str = "", in_exchange_for: ShiftAssignment | None = None
) -> SwapRequest:
    """Offer your shift to the team (anyone may take it), or propose a trade for someone else's shift."""
    shift = assignment.shift
    if assignment.member_id != member.pk:
        raise DomainError("not_your_shift", "You can only offer a shift you are on.", "assignment")
    if shift.starts_at <= timezone.now():
        raise DomainError("shift_started", "This shift has already started, so it can't be swapped.")
    note = _text(note, "note", NOTE_MAX_CHARS, "your note")
    if in_exchange_for is not None:
        other = in_exchange_for.shift
        if other.team_id != shift.team_id:
            raise DomainError("shift_unknown", "Trade only for a shift on the same team's rota.", "in_exchange_for")
        if in_exchange_for.member_id == member.pk:
            raise DomainError(
                "already_on_both_shifts", "You are on both shifts, so there is nothing to trade.", "in_exchange_for"
            )
        if other.starts_at <= timezone.now():
            raise DomainError("shift_started", "That shift has already started.", "in_exchange_for")
    with transaction.atomic():
        _lock_team(shift.team)
        if SwapRequest.objects.filter(assignment=assignment, status=SwapStatus.OPEN).exists():
            raise DomainError("swap_already_open", "You have already offered this shift. Withdraw that offer first.")
        return SwapRequest.objects.create(
            community_id=assignment.community_id, assignment=assignment, in_exchange_for=in_exchange_for, note=note
        )


def withdraw_swap(member: Member, swap: SwapRequest) -> SwapRequest:
    """The member who offered a shift takes the offer back (an organiser may too)."""
    team = swap.assignment.shift.team
    if swap.assignment.member_id != member.pk:
        _require_organiser(member, team, "withdraw someone else's offer")
    with transaction.atomic():
        _lock_team(team)
        locked = SwapRequest.objects.select_for_update().get(pk=swap.pk)
        if locked.status != SwapStatus.OPEN:
            raise DomainError("swap_closed", f"This offer is already {locked.get_status_display().lower()}.")
        locked.status, locked.resolved_at = SwapStatus.WITHDRAWN, timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
    return locked


def take_swap(member: Member, swap: SwapRequest, *, accept_over_fair_share: bool = False) -> SwapRequest:
    """Take an offered shift (or accept a proposed trade): the assignment moves at once. Refused if it overlaps
    your other shifts, takes you over your most minutes, or (unless you accept it) beyond one shift of your fair
    share."""
    team = swap.assignment.shift.team
    if not access.is_in_team(member, team):
        raise DomainError("not_in_team", "Only people in the team can take its shifts.")
    with transaction.atomic():
        _lock_team(team)
        locked = (
            SwapRequest.objects.select_for_update(of=("self",))
            .select_related("assignment__shift", "assignment__member", "in_exchange_for__shift")
            .get(pk=swap.pk)
        )
        if locked.status != SwapStatus.OPEN:
            raise DomainError("swap_closed", f"This offer is already {locked.get_status_display().lower()}.")
        giving = locked.assignment
        if giving.member_id == member.pk:
            raise DomainError("own_offer", "This is your own offer. Withdraw it instead.")
        now = timezone.now()
        if giving.shift.starts_at <= now:
            raise DomainError("shift_started", "This shift has already started, so it can't be swapped.")
        if locked.in_exchange_for is not None:
            _trade(member, giving, locked.in_exchange_for, team, now, accept_over_fair_share)
        else:
            _take(member, giving, team, now, accept_over_fair_share)
        locked.status, locked.taken_by, locked.resolved_at = SwapStatus.DONE, member, now
        locked.save(update_fields=["status", "taken_by", "resolved_at"])
        # Other open offers of the moved assignments no longer stand: they were about the old person.
        moved = [giving.pk] + ([locked.in_exchange_for_id] if locked.in_exchange_for_id else [])
        SwapRequest.objects.filter(assignment_id__in=moved, status=SwapStatus.OPEN).exclude(pk=locked.pk).update(
            status=SwapStatus.WITHDRAWN, resolved_at=now
        )
        notices.swap_taken(locked, giving.member, member)
    return locked


def _take(member: Member, giving: ShiftAssignment, team: Team, now: datetime, accept: bool) -> None:
    shift = giving.shift
    if ShiftAssignment.objects.filter(shift=shift, member=member).exists():
        raise DomainError("already_on_shift", "You are already on this shift.")
    _check_free(member, shift)
    before = team_rota(team, now, now + UPCOMING, {member.pk: [f"s{shift.pk}"]})
    seat = before.seat_of.get(giving.pk)
    _check_take(member, before, seat, accept)
    _move(giving, member)


def _trade(
    member: Member, giving: ShiftAssignment, wanted: ShiftAssignment, team: Team, now: datetime, accept: bool
) -> None:
    wanted = ShiftAssignment.objects.select_related("shift").get(pk=wanted.pk)
    if wanted.member_id != member.pk:
        raise DomainError("not_your_trade", "This trade is for someone else's shift, so only they can accept it.")
    if wanted.shift.starts_at <= now:
        raise DomainError("shift_started", "Your shift in this trade has already started.")
    # Both have said they will do the other's shift: the offer and the acceptance are their availability.
    volunteers = {giving.member_id: [f"s{wanted.shift_id}"], member.pk: [f"s{giving.shift_id}"]}
    current = team_rota(team, now, now + UPCOMING, volunteers)
    seat_a, seat_b = current.seat_of.get(giving.pk), current.seat_of.get(wanted.pk)
    if seat_a is None or seat_b is None:
        raise DomainError("shift_too_far", "One of these shifts is too far ahead to trade yet.")
    if ShiftAssignment.objects.filter(shift=wanted.shift, member_id=giving.member_id).exists() or (
        ShiftAssignment.objects.filter(shift=giving.shift, member=member).exists()
    ):
        raise DomainError("already_on_shift", "One of you is already on the other's shift.")
    try:
        domain.swap(current.rota, seat_a, seat_b, accept_over_fair_share=accept)
    except DomainError as error:
        raise _plain_swap_error(error) from None
    giver = giving.member
    _move(giving, member)
    _move(wanted, giver)


def _check_take(member: Member, before: TeamRota, seat: str | None, accept: bool) -> None:
    rota = before.rota
    if seat is None:
        raise DomainError("shift_too_far", "This shift is too far ahead to take yet.")
    after = domain.Rota(
        rota.shifts, rota.members, rota.availability, {**rota.assignments, seat: member.pk}, (), rota.seed
    )
    maximum = next((m.max_minutes for m in rota.members if m.member_id == member.pk), None)
    if maximum is not None and after.loads_minutes[member.pk] > maximum:
        raise DomainError(
            "swap_over_maximum", "Taking this shift would put you over the most hours you asked for on this rota."
        )
    if not accept and after.excess_minutes[member.pk] > rota.excess_minutes[member.pk]:
        over = after.excess_minutes[member.pk]
        raise DomainError(
            "swap_over_fair_share",
            f"Taking this shift would put you {-(-over.numerator // over.denominator)} minutes beyond one shift of "
            "your fair share. Tick that you accept doing more to take it anyway.",
            "accept_over_fair_share",
        )


def _plain_swap_error(error: DomainError) -> DomainError:
    messages = {
        "swap_not_available": "One of you has not said you can do the other's shift.",
        "swap_overlap": "One of you is on another shift at that time, so you can't trade.",
        "swap_over_maximum": "This trade would put one of you over the most hours you asked for.",
        "swap_over_fair_share": (
            "This trade would put one of you beyond one shift of your fair share. Tick that you accept it to trade "
            "anyway."
        ),
        "already_on_both_shifts": "You are on both shifts, so there is nothing to trade.",
    }
    return DomainError(error.code, messages.get(error.code, error.message), error.field)


def _check_free(member: Member, shift: Shift) -> None:
    clash = (
        ShiftAssignment.objects.filter(
            member=member, shift__starts_at__lt=shift.ends_at, shift__ends_at__gt=shift.starts_at
        )
        .exclude(shift=shift)
        .select_related("shift__team")
        .first()
    )
    if clash is not None:
        raise DomainError(
            "swap_overlap", f"You are already on {clash.shift.title} ({clash.shift.team.name}) at that time."
        )


def _move(assignment: ShiftAssignment, to: Member) -> None:
    ShiftAssignment.objects.filter(pk=assignment.pk).update(member=to, reminded_at=None)


# --- volunteering for an empty seat --------------------------------------------------------------------------------


def volunteer_for_shift(member: Member, shift: Shift) -> ShiftAssignment:
    """A team member takes an empty seat on a shift that is short of people."""
    team = shift.team
    if not access.is_in_team(member, team):
        raise DomainError("not_in_team", "Only people in the team can take its shifts.")
    with transaction.atomic():
        _lock_team(team)
        locked = Shift.objects.select_for_update().get(pk=shift.pk)
        if locked.starts_at <= timezone.now():
            raise DomainError("shift_started", "This shift has already started.")
        if locked.assignments.filter(member=member).exists():
            raise DomainError("already_on_shift", "You are already on this shift.")
        if locked.assignments.count() >= locked.people_needed:
            raise DomainError("shift_full", "This shift already has everyone it needs.")
        _check_free(member, locked)
        tm = TeamMember.objects.get(team=team, member=member)
        if tm.max_minutes_per_rota is not None:
            now = timezone.now()
            rota = team_rota(team, now, now + UPCOMING).rota
            if rota.loads_minutes.get(member.pk, 0) + shift_minutes(locked) > tm.max_minutes_per_rota:
                raise DomainError("swap_over_maximum", "This shift would put you over the most hours you asked for.")
        assignment = ShiftAssignment.objects.create(community_id=team.community_id, shift=locked, member=member)
        if locked.assignments.count() >= locked.people_needed:
            locked.unfilled_reason = ""
            locked.save(update_fields=["unfilled_reason"])
    return assignment


# --- hours to the timebank -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """Hours logged for a shift: the assignment, the currency, and whether they had been logged before."""

    assignment: ShiftAssignment
    currency: Currency
    minutes: int
    replayed: bool = False


def hours_key(assignment: ShiftAssignment) -> uuid.UUID:
    """The ledger key of an assignment's hours: the same every time, so they are paid once."""
    return uuid.uuid5(HOURS_NAMESPACE, f"commons.shift_assignment:{assignment.pk}")


def log_hours(actor: Member, assignment: ShiftAssignment) -> Logged:
    """After a shift ends, the member on it (or an organiser) logs its minutes to the team's timebank, issued to
    the member's account. Exactly once: a second log returns the first."""
    shift = assignment.shift
    team = shift.team
    if actor.pk != assignment.member_id:
        _require_organiser(actor, team, "log someone else's hours")
    currency = team.timebank
    if currency is None:
        raise DomainError(
            "no_timebank", "This team does not log hours. An organiser can choose its timebank on the team's page."
        )
    if shift.ends_at > timezone.now():
        raise DomainError("shift_not_over", "Hours can be logged once the shift is over.")
    minutes = shift_minutes(shift)
    with transaction.atomic():
        locked = ShiftAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.member_id != assignment.member_id:
            raise DomainError("shift_moved", "Someone else is on this shift now.")
        if locked.hours_transfer_id is not None:
            return Logged(locked, currency, minutes, replayed=True)
        issuance = Account.objects.filter(currency=currency, kind=AccountKind.ISSUANCE).first()
        if issuance is None or issuance.status != AccountStatus.ACTIVE or not currency.is_active:
            raise DomainError(
                "issuance_unavailable", f"{currency.name} can't be issued right now. Ask a coordinator to look at it."
            )
        account = accounts.open_account(currency, member=locked.member)
        local = timezone.localtime(shift.starts_at, ZoneInfo(team.community.time_zone))
        posted = transfers.transfer(
            debit=issuance,
            credit=account,
            amount=minutes,
            key=hours_key(locked),
            memo=f"{team.name}: {shift.title} on {local:%d %b %Y}"[:500],
            category=TRANSFER_CATEGORY,
            reference=f"shift_assignment:{locked.pk}",
            actor=actor.user,
        )
        locked.hours_transfer_id = posted.id
        locked.save(update_fields=["hours_transfer"])
        if actor.pk != locked.member_id:
            audit(
                actor.community, actor.user, "commons.shift_hours_logged", locked.member, "", team=team.pk,
                assignment=locked.pk, minutes=minutes, transfer=posted.id,
            )  # fmt: skip
    return Logged(locked, currency, minutes)


# --- reminders and alerts (periodic) ---------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Remind each person of a shift starting within a day, once (reminded_at); returns how many were reminded."""
    now = now or timezone.now()
    due = list(
        ShiftAssignment.objects.filter(
            reminded_at__isnull=True, shift__starts_at__gt=now, shift__starts_at__lte=now + REMIND_AHEAD
        )
        .select_related("shift__team", "member__user", "member__community")
        .order_by("pk")[:BATCH]
    )
    sent = 0
    for assignment in due:
        with transaction.atomic():
            # Conditional: a second worker (or a second run) finds it already reminded and sends nothing.
            if not ShiftAssignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            notices.shift_reminder(assignment)
            sent += 1
    return sent


def alert_unfilled(now: datetime | None = None) -> int:
    """Tell the team about each shift within a week that is short of people, once per shift (unfilled_alerted_at);
    returns how many shifts were announced."""
    now = now or timezone.now()
    short = list(
        Shift.objects.filter(unfilled_alerted_at__isnull=True, starts_at__gt=now, starts_at__lte=now + ALERT_AHEAD)
        .annotate(people=Count("assignments"))
        .filter(people__lt=F("people_needed"))
        .select_related("team")
        .order_by("starts_at", "pk")[:BATCH]
    )
    for shift in short:
        with transaction.atomic():
            if not Shift.objects.filter(pk=shift.pk, unfilled_alerted_at__isnull=True).update(unfilled_alerted_at=now):
                continue
            shift.unfilled_alerted_at = now
            reason = UNFILLED_MESSAGES.get(shift.unfilled_reason, "Nobody has taken it yet.")
            people = Member.objects.filter(team_memberships__team=shift.team, status="active").select_related(
                "user", "community"
            )
            for person in people:
                notices.shift_unfilled(shift, person, shift.people_needed - shift.people, reason)
    return len(short)


# --- helpers -------------------------------------------------------------------------------------------------------


def _lock_team(team: Team) -> Team:
    """Every change to who is on which of the team's shifts takes this lock first."""
    return Team.objects.select_for_update().get(pk=team.pk)


def _require_organiser(actor: Member, team: Team, what: str) -> None:
    if not access.can_manage_team(actor, team):
        raise DomainError("not_allowed", f"Only the team's organisers can {what}.")


def _check_timebank(community_id: int, timebank: Currency | None) -> None:
    if timebank is None:
        return
    if timebank.community_id != community_id or timebank.kind != CurrencyKind.TIME or not timebank.is_active:
        raise DomainError("timebank_unknown", "Choose one of this community's timebank currencies.", "timebank")


def _check_max_minutes(max_minutes: int | None) -> None:
    if max_minutes is not None and (not _is_int(max_minutes) or not 0 <= max_minutes <= MAX_MINUTES_PER_ROTA):
        raise DomainError(
            "max_minutes_invalid",
            f"The most hours on one rota is a whole number of minutes from 0 to {MAX_MINUTES_PER_ROTA // 60} hours.",
            "max_minutes",
        )


def _text(value: str, field_name: str, max_chars: int, what: str, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise DomainError("text_invalid", f"Write {what} as text.", field_name)
    value = value.strip()
    if "\x00" in value:
        raise DomainError("text_invalid", f"{what[0].upper()}{what[1:]} has a character we can't store.", field_name)
    if required and not value:
        raise DomainError("text_required", f"Enter {what}.", field_name)
    if len(value) > max_chars:
        raise DomainError("text_too_long", f"Keep {what} to {max_chars} characters.", field_name)
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def describe_minutes(minutes: int | Fraction) -> str:
    """Minutes as people say them: "7h 30m", "45m"."""
    whole = round(minutes)
    hours, rest = divmod(int(whole), 60)
    if hours and rest:
        return f"{hours}h {rest:02d}m"
    return f"{hours}h" if hours else f"{rest}m"


def weekday_name(weekday: int) -> str:
    return WEEKDAYS[weekday]
