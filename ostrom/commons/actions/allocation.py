"""Contested allocation's state changes: open a request window, ask for slots (and withdraw), set a need weight
(always with a reason, always audited), and run the allocation once the window has closed.

The allocation itself is the domain's (rotation.rotate, lottery.draw, fair_assignment.assign_fairly); this module
loads, locks, calls it with a seed drawn at run time, and stores what it returns: the certificate, the inputs and
result record anyone can re-run, an explanation per person, the allocated slots and, where the window has an asset
and a slot has times, a booking for the winner. A window allocates once: its row is locked and its status checked
inside the same transaction, so two runs at once (the periodic check and a coordinator's button) cannot both write.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from ..access import allocation as access
from ..domain import certificates, fair_assignment, lottery, rotation
from ..models import (
    AllocatedSlot,
    AllocationMethod,
    AllocationRequest,
    AllocationSlot,
    Asset,
    RequestWindow,
    SlotScore,
    WindowStatus,
)
from ..notices import allocation as notices

# Limits, so a typo cannot ask for a schedule nobody could read: a year of daily rotations over 200 plots.
TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 4000
LABEL_MAX_CHARS = 120
REASON_MAX_CHARS = 200  # the lottery's own limit on a recorded reason
MAX_SLOTS = 200
MAX_PERIODS = 366
MAX_PERIOD_MINUTES = 366 * 24 * 60
MAX_SLOTS_WANTED = MAX_SLOTS
# A window can stay open at most this long; further ahead is a typo.
MAX_OPEN_DAYS = 366
# The periodic check allocates at most this many closed windows a run; the next tick takes the rest.
DUE_BATCH = 20

RERUN = {
    AllocationMethod.ROTATION: rotation.rerun,
    AllocationMethod.LOTTERY: lottery.rerun,
    AllocationMethod.FAIR_ASSIGNMENT: fair_assignment.rerun,
}


@dataclass(frozen=True)
class SlotSpec:
    """One slot as a coordinator describes it: a label, and optionally when it starts and ends."""

    label: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class WindowFields:
    title: str
    closes_at: datetime
    method: str
    slots: Sequence[SlotSpec]
    description: str = ""
    asset: Asset | None = None
    periods: int = 1
    period_minutes: int | None = None
    turning_period: int | None = None
    follows: RequestWindow | None = None


# --- opening a window ----------------------------------------------------------------------------------------------


def open_window(coordinator: Member, fields: WindowFields) -> RequestWindow:
    """A coordinator opens a request window with its slots; members can ask for them until it closes."""
    if not access.can_coordinate(coordinator):
        raise DomainError("not_coordinator", "Only a coordinator can open a request window.")
    title = _text(fields.title, "title", TITLE_MAX_CHARS, "the title", required=True)
    description = _text(fields.description, "description", DESCRIPTION_MAX_CHARS, "the description", required=False)
    if fields.method not in AllocationMethod.values:
        raise DomainError("unknown_method", "Choose rotation, lottery by need or fair assignment.", "method")
    now = timezone.now()
    if fields.closes_at <= now:
        raise DomainError("date_in_past", "The closing time has already passed: choose a time to come.", "closes_at")
    if fields.closes_at > now + timedelta(days=MAX_OPEN_DAYS):
        raise DomainError("date_too_far", f"A window can stay open at most {MAX_OPEN_DAYS} days.", "closes_at")
    if fields.asset is not None and fields.asset.community_id != coordinator.community_id:
        raise DomainError("asset_unknown", "There is no such asset in this community.", "asset")
    slots = _checked_slots(fields.slots)
    periods, period_minutes, turning = _checked_rotation(fields)
    follows = _checked_follows(coordinator, fields)
    with transaction.atomic():
        window = RequestWindow.objects.create(
            community_id=coordinator.community_id, asset=fields.asset, title=title, description=description,
            method=fields.method, opens_at=now, closes_at=fields.closes_at, periods=periods,
            period_minutes=period_minutes, turning_period=turning, follows=follows, created_by=coordinator,
        )  # fmt: skip
        AllocationSlot.objects.bulk_create(
            AllocationSlot(
                community_id=window.community_id,
                window=window,
                label=slot.label,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                position=position,
            )
            for position, slot in enumerate(slots, start=1)
        )
    return window


def _text(value: str, field: str, max_chars: int, what: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{field}_required", f"Enter {what}.", field)
    if len(value) > max_chars:
        raise DomainError(f"{field}_too_long", f"Keep {what} to {max_chars} characters or fewer.", field)
    return value


def _checked_slots(slots: Sequence[SlotSpec]) -> list[SlotSpec]:
    if not slots:
        raise DomainError("no_slots", "List at least one slot to share out.", "slots")
    if len(slots) > MAX_SLOTS:
        raise DomainError("too_many_slots", f"A window can share at most {MAX_SLOTS} slots.", "slots")
    checked, seen = [], set()
    for slot in slots:
        label = _text(slot.label, "slots", LABEL_MAX_CHARS, "each slot's name", required=True)
        if label.casefold() in seen:
            raise DomainError(
                "duplicate_slot", f"The slot “{label}” is listed twice; give each a different name.", "slots"
            )
        seen.add(label.casefold())
        if (slot.starts_at is None) != (slot.ends_at is None):
            raise DomainError("slot_times_incomplete", f"Give “{label}” both a start and an end, or neither.", "slots")
        if slot.starts_at is not None and slot.ends_at is not None and slot.ends_at <= slot.starts_at:
            raise DomainError("slot_ends_before_start", f"“{label}” must end after it starts.", "slots")
        checked.append(SlotSpec(label, slot.starts_at, slot.ends_at))
    return checked


def _checked_rotation(fields: WindowFields) -> tuple[int, int | None, int | None]:
    if fields.method != AllocationMethod.ROTATION:
        return 1, None, None
    periods, minutes, turning = fields.periods, fields.period_minutes, fields.turning_period
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        raise DomainError("invalid_periods", f"A rotation runs for 1 to {MAX_PERIODS} periods.", "periods")
    if minutes is not None and (isinstance(minutes, bool) or not 1 <= minutes <= MAX_PERIOD_MINUTES):
        raise DomainError(
            "invalid_period_minutes", "A period lasts at least a minute and at most a year.", "period_minutes"
        )
    if turning is not None and not 1 <= turning < periods:
        raise DomainError(
            "invalid_turning_period",
            "The direction can only change after the first period and before the last one.",
            "turning_period",
        )
    return periods, minutes, turning


def _checked_follows(coordinator: Member, fields: WindowFields) -> RequestWindow | None:
    follows = fields.follows
    if follows is None:
        return None
    if fields.method != AllocationMethod.LOTTERY:
        raise DomainError("follows_not_lottery", "Only a lottery can follow an earlier draw.", "follows")
    if follows.community_id != coordinator.community_id:
        raise DomainError("window_unknown", "There is no such request window here.", "follows")
    if follows.method != AllocationMethod.LOTTERY:
        raise DomainError("follows_not_lottery", "The earlier window must be a lottery too.", "follows")
    if RequestWindow.objects.filter(follows=follows).exists():
        raise DomainError("already_followed", "Another window already follows that draw.", "follows")
    return follows


def cancel_window(coordinator: Member, window: RequestWindow) -> RequestWindow:
    """Call off a window that has not been allocated; its requests stay on record."""
    if not access.can_coordinate(coordinator, window):
        raise DomainError("not_coordinator", "Only a coordinator can cancel a request window.")
    with transaction.atomic():
        locked = _lock(window)
        if locked.status == WindowStatus.ALLOCATED:
            raise DomainError("already_allocated", "This window has been allocated already, so it cannot be cancelled.")
        if locked.status == WindowStatus.OPEN:
            locked.status = WindowStatus.CANCELLED
            locked.save(update_fields=["status"])
            audit(coordinator.community, coordinator.user, "commons.window_cancelled", None, "", window=locked.pk)
    return locked


# --- requests ------------------------------------------------------------------------------------------------------


def request_slots(
    member: Member,
    window: RequestWindow,
    slots_wanted: int = 1,
    ranking: Sequence[int] | None = None,
    scores: Mapping[int, int] | None = None,
) -> AllocationRequest:
    """Ask for a slot (or change your request) while the window is open. For fair assignment, rank the slots you
    want (best first) or score them out of 100, and say how many you want; unranked slots are not wanted."""
    with transaction.atomic():
        locked = _lock(window)
        _require_open(member, locked)
        slot_ids = set(locked.slots.values_list("pk", flat=True))
        fair = locked.method == AllocationMethod.FAIR_ASSIGNMENT
        if fair:
            wanted_scores = _scores(ranking, scores, slot_ids)
            if isinstance(slots_wanted, bool) or not 1 <= slots_wanted <= len(slot_ids):
                raise DomainError("invalid_slots_wanted", f"Ask for 1 to {len(slot_ids)} slots.", "slots_wanted")
        else:
            wanted_scores, slots_wanted = {}, 1  # one slot each: the draw and the rotation give one at a time
        mine = AllocationRequest.objects.filter(window=locked, member=member).first()
        now = timezone.now()
        if mine is None:
            mine = AllocationRequest.objects.create(
                community_id=locked.community_id, window=locked, member=member, slots_wanted=slots_wanted,
                need_points=lottery.DEFAULT_POINTS,
            )  # fmt: skip
        else:
            mine.slots_wanted, mine.updated_at = slots_wanted, now
            mine.save(update_fields=["slots_wanted", "updated_at"])
        if fair:
            mine.scores.all().delete()
            SlotScore.objects.bulk_create(
                SlotScore(community_id=locked.community_id, request=mine, slot_id=slot_id, score=score)
                for slot_id, score in sorted(wanted_scores.items())
            )
    return mine


def _scores(ranking: Sequence[int] | None, scores: Mapping[int, int] | None, slot_ids: set[int]) -> dict[int, int]:
    """A fair-assignment request as scores per slot id: from a ranking (domain.scores_from_ranking) or as given."""
    if ranking:
        unknown = [slot for slot in ranking if slot not in slot_ids]
        if unknown:
            raise DomainError("slot_unknown", "One of the ranked slots is not in this window.", "ranking")
        by_key = fair_assignment.scores_from_ranking([str(slot) for slot in ranking])
        return {int(key): score for key, score in by_key.items()}
    chosen = {slot: score for slot, score in (scores or {}).items() if score}
    if any(slot not in slot_ids for slot in chosen):
        raise DomainError("slot_unknown", "One of the scored slots is not in this window.", "scores")
    if any(isinstance(score, bool) or not 0 <= score <= fair_assignment.SCORE_MAX for score in chosen.values()):
        raise DomainError("invalid_score", f"Scores are whole numbers from 0 to {fair_assignment.SCORE_MAX}.", "scores")
    if not chosen:
        raise DomainError("nothing_ranked", "Rank at least one slot you would like.", "ranking")
    return chosen


def withdraw(member: Member, window: RequestWindow) -> bool:
    """Take back your request while the window is open; False if you had none."""
    with transaction.atomic():
        locked = _lock(window)
        _require_open(member, locked)
        deleted, _ = AllocationRequest.objects.filter(window=locked, member=member).delete()
    return bool(deleted)


def _require_open(member: Member, window: RequestWindow) -> None:
    if not member.is_active or member.community_id != window.community_id:
        raise DomainError("not_allowed", "Only active members of this community can ask for a slot.")
    if window.status == WindowStatus.ALLOCATED:
        raise DomainError("already_allocated", "This window has been allocated: requests are closed.")
    if window.status == WindowStatus.CANCELLED:
        raise DomainError("window_cancelled", "This window was cancelled.")
    if not access.is_open(window, timezone.now()):
        raise DomainError("window_closed", "This window has closed, so requests can no longer be made or changed.")


# --- need weights --------------------------------------------------------------------------------------------------


def set_need(
    coordinator: Member,
    request: AllocationRequest,
    reason: str,
    tiers: Sequence[str] = (),
    points: int | None = None,
) -> AllocationRequest:
    """A coordinator weights someone's request by need: tiers (no car, disability, carer) or points, always with a
    reason, which is recorded (and audited) but shown only to coordinators; members see the tiers."""
    window = request.window
    if not access.can_coordinate(coordinator, window):
        raise DomainError("not_coordinator", "Only a coordinator can set need weights.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(
            "need_reason_required", "Say why this person's need counts for more, so the weight is on record.", "reason"
        )
    if len(reason) > REASON_MAX_CHARS:
        raise DomainError("invalid_reason", f"Give the reason in at most {REASON_MAX_CHARS} characters.", "reason")
    chosen = sorted(set(tiers))
    from_tiers = lottery.need_from_tiers(request.member_id, chosen)  # refuses unknown tiers in words
    if points is None:
        points = from_tiers.points
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= lottery.MAX_POINTS:
        raise DomainError(
            "invalid_weight",
            f"A need weight is a whole number of points from 1 to {lottery.MAX_POINTS:,} "
            f"(the usual is {lottery.DEFAULT_POINTS}).",
            "points",
        )
    with transaction.atomic():
        locked = _lock(window)
        if locked.status != WindowStatus.OPEN:
            raise DomainError("already_allocated", "This window is allocated or cancelled: needs can no longer change.")
        mine = AllocationRequest.objects.select_for_update().get(pk=request.pk)
        mine.need_points, mine.need_tiers, mine.need_reason = points, chosen, reason
        mine.need_set_by, mine.updated_at = coordinator, timezone.now()
        mine.save(update_fields=["need_points", "need_tiers", "need_reason", "need_set_by", "updated_at"])
        audit(
            coordinator.community, coordinator.user, "commons.need_set", mine.member, reason,
            window=locked.pk, points=points, tiers=chosen,
        )  # fmt: skip
    return mine


def tier_words(tiers: Sequence[str]) -> str:
    """The tiers as members see them: "no car; carer", or "" for none."""
    return "; ".join(lottery.NEED_TIERS[tier][0] for tier in sorted(tiers) if tier in lottery.NEED_TIERS)


def public_reason(request: AllocationRequest) -> str:
    """What the certificate's inputs say about a weight: the tiers, never the coordinator's own words."""
    words = tier_words(request.need_tiers)
    if words:
        return words
    return "set by a coordinator" if request.need_points != lottery.DEFAULT_POINTS else ""


# --- the allocation run --------------------------------------------------------------------------------------------


@dataclass
class _Award:
    slot: AllocationSlot
    member_id: int
    period: int = 0


@dataclass
class _Run:
    certificate: certificates.Certificate
    inputs: Mapping[str, object]
    record: Mapping[str, object]
    awards: list[_Award]
    people: dict[str, dict[str, object]]
    summary: str
    extra: dict[str, object] = field(default_factory=dict)


def allocate(window: RequestWindow, actor: Member | None = None, *, demo_seed: int | None = None) -> RequestWindow:
    """Run the window's allocation once it has closed: by a coordinator (``actor``) or the periodic check (None).
    Refused, writing nothing, when nobody asked, when it is still open, or when it has run already.

    The seed is drawn at run time (``secrets``), so nobody can choose it; only the demo passes ``demo_seed``, so
    that a reset with the same seed builds the same town."""
    if actor is not None and not access.can_coordinate(actor, window):
        raise DomainError("not_coordinator", "Only a coordinator can run the allocation.")
    with transaction.atomic():
        locked = _lock(window)
        if locked.status == WindowStatus.ALLOCATED:
            raise DomainError("already_allocated", "This window has been allocated already; an allocation runs once.")
        if locked.status == WindowStatus.CANCELLED:
            raise DomainError("window_cancelled", "This window was cancelled, so there is nothing to allocate.")
        if timezone.now() < locked.closes_at:
            raise DomainError(
                "window_still_open", "Requests are still open: the allocation runs once the window has closed."
            )
        requests = list(access.window_requests(locked).order_by("pk"))
        if not requests:
            raise DomainError(
                "no_participants", "Nobody asked for a slot in this window, so there is nothing to allocate."
            )
        slots = list(access.window_slots(locked))
        if not slots:
            raise DomainError("no_slots", "This window has no slots to share.")
        seed = secrets.randbits(63) if demo_seed is None else demo_seed
        run = _RUNS[locked.method](locked, requests, slots, seed)
        unbooked = _save_awards(locked, run.awards)
        locked.status, locked.seed, locked.allocated_at = WindowStatus.ALLOCATED, seed, timezone.now()
        locked.certificate = run.certificate.as_dict()
        locked.result = {
            "summary": run.summary, "inputs": run.inputs, "record": run.record, "people": run.people,
            "unbooked": unbooked, **run.extra,
        }  # fmt: skip
        locked.save(update_fields=["status", "seed", "allocated_at", "certificate", "result"])
        if actor is not None:
            audit(actor.community, actor.user, "commons.window_allocated", None, "", window=locked.pk, seed=seed)
        for request in requests:
            notices.allocation_result(locked, request.member, run.people.get(str(request.member_id), {}))
    return locked


def allocate_due_windows(limit: int = DUE_BATCH) -> int:
    """The periodic check: allocate windows that have closed and have requests (a window nobody asked in waits
    for a coordinator to cancel it). Safe to run twice: allocate() refuses a window already allocated."""
    due = (
        RequestWindow.objects.filter(status=WindowStatus.OPEN, closes_at__lte=timezone.now(), requests__isnull=False)
        .distinct()
        .order_by("closes_at", "pk")[:limit]
    )
    done = 0
    for window in list(due):
        try:
            allocate(window)
        except DomainError:
            continue  # allocated meanwhile by a coordinator, or a request was just withdrawn
        done += 1
    return done


def _run_rotation(window: RequestWindow, requests: list[AllocationRequest], slots: list[AllocationSlot], seed: int):
    # Sites are named by their labels (unique in a window), so the published inputs and schedule read as they are.
    by_label = {slot.label: slot for slot in slots}
    result = rotation.rotate(
        [request.member_id for request in requests], list(by_label), window.periods, seed, window.turning_period
    )
    awards = [
        _Award(by_label[site], who, period)
        for period, occupants in enumerate(result.schedule)
        for site, who in occupants.items()
    ]
    drawn = {who: place for place, who in enumerate(result.starting_order, start=1)}
    people = {}
    for request in requests:
        who = request.member_id
        counts = result.visits[who]
        visits = "; ".join(
            f"{site} × {count}" for site, count in sorted(counts.items(), key=lambda item: by_label[item[0]].position)
        )
        people[str(who)] = {
            "slots": sorted(counts, key=lambda site: by_label[site].position),
            "turns": result.turns[who],
            "position": drawn.get(who),
            "explanation": (
                f"You were drawn {lottery.ordinal(drawn[who])} for your starting place, then moved one place along "
                f"each period, as everyone did: over {window.periods} periods you have {result.turns[who]} turns"
                + (f" ({visits})." if visits else ".")
            ),
        }
    summary = (
        f"Rotation: lots decided where each of {len(requests)} people starts among {len(slots)} slots; then "
        f"everyone moves one place along each period for {window.periods} periods"
        + (f", changing direction at period {window.turning_period + 1}" if window.turning_period else "")
        + ". Everyone walks the same path, so nobody keeps the best slot."
    )
    return _Run(result.certificate, result.inputs, rotation.rerun(seed, result.inputs), awards, people, summary)


def _run_lottery(window: RequestWindow, requests: list[AllocationRequest], slots: list[AllocationSlot], seed: int):
    carried = _carried_lost_rounds(window)
    for request in requests:
        lost = carried.get(request.member_id, 0)
        if request.lost_rounds != lost:
            request.lost_rounds = lost
            request.save(update_fields=["lost_rounds"])
    needs = [
        lottery.Need(request.member_id, request.need_points, public_reason(request), request.lost_rounds)
        for request in requests
    ]
    result = lottery.draw(needs, len(slots), seed)
    awards = [_Award(slot, who) for slot, who in zip(slots, result.winners, strict=False)]
    got = {award.member_id: award.slot.label for award in awards}
    people = {}
    for request in requests:
        explained = result.explanations[request.member_id]
        people[str(request.member_id)] = {
            "slots": [got[request.member_id]] if request.member_id in got else [],
            "weight": explained.weight,
            "points": explained.points,
            "tiers": list(request.need_tiers),
            "lost_rounds": explained.lost_rounds,
            "chance_permille": explained.share_permille,
            "position": explained.position,
            "explanation": explained.sentence
            + (
                f" Places went in the order drawn, so you have {got[request.member_id]}."
                if request.member_id in got
                else ""
            ),
        }
    summary = (
        f"Lottery weighted by need: all {len(requests)} names were drawn one at a time, each with a chance in "
        f"proportion to their weight, without replacement; the first {min(len(slots), len(requests))} drawn have the "
        f"{len(slots)} slots, in slot order. Everyone starts at {lottery.DEFAULT_POINTS} points; recorded needs add "
        "points, and each draw lost in a row adds half again."
    )
    extra = {"losers": list(result.losers)}
    return _Run(result.certificate, result.inputs, lottery.rerun(seed, result.inputs), awards, people, summary, extra)


def _carried_lost_rounds(window: RequestWindow) -> dict[int, int]:
    """Draws lost in a row, from the draw this window follows (domain next_round_needs); nothing if none."""
    earlier = window.follows
    if earlier is None or earlier.status != WindowStatus.ALLOCATED or not earlier.result:
        return {}
    rows = earlier.result["inputs"]["needs"]
    needs = [lottery.Need(*row) for row in rows]
    losers = earlier.result.get("losers", [])
    return {need.participant: need.lost_rounds for need in lottery.next_round_needs(needs, losers)}


def _run_fair_assignment(
    window: RequestWindow, requests: list[AllocationRequest], slots: list[AllocationSlot], seed: int
):
    # Slots are named by their labels (unique in a window), so explanations and published inputs read as they are.
    labels = {slot.pk: slot.label for slot in slots}
    by_label = {slot.label: slot for slot in slots}
    scores: dict[int, dict[str, int]] = {request.pk: {} for request in requests}
    for score in SlotScore.objects.filter(request__window=window).order_by("pk"):
        scores[score.request_id][labels[score.slot_id]] = score.score
    asked = [
        fair_assignment.SlotRequest(
            str(request.member_id), scores[request.pk], request.slots_wanted, request.need_points
        )
        for request in requests
    ]
    result = fair_assignment.assign_fairly(asked, list(by_label), seed)
    awards = [_Award(by_label[slot], int(outcome.member)) for outcome in result.outcomes for slot in outcome.slots]
    position = {member: place for place, member in enumerate(result.draw_order, start=1)}
    by_member = {str(request.member_id): request for request in requests}
    people = {}
    for outcome in result.outcomes:
        request = by_member[outcome.member]
        people[outcome.member] = {
            "slots": sorted(outcome.slots, key=lambda slot: by_label[slot].position),
            "weight": request.need_points,
            "tiers": list(request.need_tiers),
            "value": outcome.value,
            "position": position[outcome.member],
            "explanation": outcome.explanation,
        }
    summary = (
        f"Fair assignment: {len(requests)} people ranked {len(slots)} slots. "
        + (
            "Each could have one slot, so the slots went to the arrangement that gives everyone together the most "
            "of what they ranked highest; a lottery weighted by need settled ties and who goes without."
            if result.path == "unit_demand"
            else "People took turns choosing their favourite slot left, the next turn going to whoever had fewest "
            "slots for their need (a lottery weighted by need settled the order); then swaps that made everyone "
            "together better off without making anyone's share unfair were made."
        )
        + " No one envies another's slots once one slot is set aside (envy-free up to one slot)."
    )
    record = fair_assignment.rerun(seed, result.inputs_record)
    extra = {"total_value": result.total_value}
    return _Run(result.certificate, result.inputs_record, record, awards, people, summary, extra)


_RUNS = {
    AllocationMethod.ROTATION: _run_rotation,
    AllocationMethod.LOTTERY: _run_lottery,
    AllocationMethod.FAIR_ASSIGNMENT: _run_fair_assignment,
}


def _save_awards(window: RequestWindow, awards: list[_Award]) -> list[dict[str, object]]:
    """Write who got what; book timed slots of the window's asset for the winner. A slot someone else has booked
    in the meantime stays unbooked, and the result says so."""
    members = {member.pk: member for member in Member.objects.filter(pk__in={a.member_id for a in awards})}
    rows, unbooked = [], []
    for award in awards:
        row = AllocatedSlot(
            community_id=window.community_id, window=window, slot=award.slot, member_id=award.member_id,
            period=award.period,
        )  # fmt: skip
        times = _times(window, award)
        if window.asset_id and times is not None:
            booking, why = _book(window, members[award.member_id], *times)
            row.booking = booking
            if booking is None:
                unbooked.append(
                    {"slot": award.slot.label, "member": award.member_id, "period": award.period, "why": why}
                )
        rows.append(row)
    AllocatedSlot.objects.bulk_create(rows)
    return unbooked


def _times(window: RequestWindow, award: _Award) -> tuple[datetime, datetime] | None:
    slot = award.slot
    if slot.starts_at is None or slot.ends_at is None:
        return None
    if award.period == 0:
        return slot.starts_at, slot.ends_at
    if not window.period_minutes:
        return None  # later periods of a rotation without a period length have no times to book
    shift = timedelta(minutes=window.period_minutes * award.period)
    try:
        return slot.starts_at + shift, slot.ends_at + shift
    except OverflowError:  # beyond the year 9999: no booking can be made there
        return None


def _book(window: RequestWindow, member: Member, starts_at: datetime, ends_at: datetime):
    """A booking through the bookings part (its rules, its exclusion constraint), in a savepoint so a refusal
    leaves the allocation itself intact."""
    try:
        from .bookings import book_allocated
    except ImportError:
        return None, "Booking is not available here yet, so this slot was not booked."
    try:
        with transaction.atomic():
            booking = book_allocated(window.asset, member, starts_at, ends_at, purpose=f"Allocated: {window.title}")
    except DomainError as error:
        return None, f"Not booked: {error.message}"
    except IntegrityError:
        return None, "Not booked: someone else has this time booked already."
    return booking, ""


# --- checking a result ---------------------------------------------------------------------------------------------


def published_certificate(window: RequestWindow) -> dict[str, object]:
    """The certificate with the inputs and result record to check it against, as anyone may download it."""
    if window.status != WindowStatus.ALLOCATED or not window.certificate:
        raise DomainError("not_allocated", "This window has not been allocated yet, so there is no certificate.")
    return {
        "window": window.pk,
        "title": window.title,
        "method": window.method,
        "allocated_at": window.allocated_at.isoformat() if window.allocated_at else None,
        "certificate": window.certificate,
        "inputs": window.result["inputs"],
        "result": window.result["record"],
        "how_to_check": (
            "Re-run the method named in the certificate with its seed on these inputs (Ostrom's "
            f"ostrom/commons/domain/{_module_of(window.method)}.py, function rerun) and hash the result: "
            "certificates.verify(Certificate(**certificate), inputs, rerun) says whether it matches."
        ),
    }


def _module_of(method: str) -> str:
    return {"rotation": "rotation", "lottery": "lottery", "fair_assignment": "fair_assignment"}[method]


@dataclass(frozen=True)
class Verification:
    holds: bool
    inputs_match: bool
    result_match: bool
    properties: Mapping[str, bool]


def verify(window: RequestWindow) -> Verification:
    """Re-run the allocation from its certificate and published inputs, and say whether the same result comes out."""
    published = published_certificate(window)
    certificate = certificates.Certificate(**published["certificate"])
    inputs = published["inputs"]
    rerun = RERUN[window.method]
    inputs_match = certificates.digest(inputs) == certificate.inputs_hash
    try:
        result_match = certificates.digest(rerun(certificate.seed, inputs)) == certificate.result_hash
    except DomainError:
        result_match = False
    holds = certificates.verify(certificate, inputs, rerun)
    return Verification(holds, inputs_match, result_match, certificate.properties)


def _lock(window: RequestWindow) -> RequestWindow:
    return RequestWindow.objects.select_for_update(of=("self",)).select_related("asset", "follows").get(pk=window.pk)
