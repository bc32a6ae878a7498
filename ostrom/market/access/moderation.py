"""Blocks and moderation: who is blocked either way, what a member may report, what coordinators see.

Everything is scoped to the viewer's community; another community's rows are simply not found (404)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ostrom.communities.models import Member

from ..domain import moderation as rules
from ..models import Block, ExchangeMessage, Listing, Report, ReportStatus


def blocked_member_ids(member: Member) -> set[int]:
    """Ids of members who blocked ``member`` or whom ``member`` blocked: neither side sees or contacts the other."""
    rows = Block.objects.filter(
        Q(blocker_id=member.pk) | Q(blocked_id=member.pk), community_id=member.community_id
    ).values_list("blocker_id", "blocked_id")
    return {blocked if blocker == member.pk else blocker for blocker, blocked in rows}


def blocked_between(first: Member, second: Member) -> bool:
    """Whether either of the two blocked the other: no contact, no exchange, no suggestion between them."""
    return Block.objects.filter(
        Q(blocker_id=first.pk, blocked_id=second.pk) | Q(blocker_id=second.pk, blocked_id=first.pk),
        community_id=first.community_id,
    ).exists()


def my_blocks(member: Member) -> QuerySet[Block]:
    """The people ``member`` blocked, newest first (not those who blocked them: that stays private)."""
    return Block.objects.filter(community_id=member.community_id, blocker=member).select_related("blocked")


def get_member_to_block_or_404(viewer: Member, member_id: int) -> Member:
    """A member of the viewer's community, whatever their status (someone suspended can still be blocked)."""
    member = Member.objects.filter(community_id=viewer.community_id, pk=member_id).first()
    if member is None:
        raise Http404("No member with that number here.")
    return member


# --- Reporting ---------------------------------------------------------------------------------------------------


def can_see_listing(viewer: Member, listing: Listing) -> bool:
    """Whether ``viewer`` can see someone else's listing: the listings part's visibility, blocks and all."""
    from .listings import visible_listings  # listings imports this module for blocked_member_ids

    return visible_listings(viewer).filter(pk=listing.pk).exists()


def can_report_listing(viewer: Member | None, listing: Listing) -> bool:
    """Any active member who can see the listing, except whoever it belongs to (the include hides the link)."""
    return viewer is not None and viewer.is_active and listing.member_id != viewer.pk


def can_block(viewer: Member | None, member: Member) -> bool:
    return viewer is not None and viewer.is_active and member.pk != viewer.pk


def visible_messages(viewer: Member) -> QuerySet[ExchangeMessage]:
    """Messages the viewer can read: those not hidden in exchanges they give or receive in, in their community."""
    return ExchangeMessage.objects.filter(
        Q(exchange__giver_id=viewer.pk) | Q(exchange__receiver_id=viewer.pk),
        exchange__community_id=viewer.community_id,
        hidden_at=None,
    )


def get_message_or_404(viewer: Member, message_id: int) -> ExchangeMessage:
    message = visible_messages(viewer).filter(pk=message_id).select_related("author", "exchange").first()
    if message is None:
        raise Http404("No message with that number here.")
    return message


def my_open_report(
    viewer: Member, *, listing: Listing | None = None, message: ExchangeMessage | None = None
) -> Report | None:
    """The viewer's report of this ad or message still waiting for a coordinator, if any."""
    mine = Report.objects.filter(community_id=viewer.community_id, reporter=viewer, status=ReportStatus.OPEN)
    return (mine.filter(listing=listing) if listing is not None else mine.filter(message=message)).first()


# --- Coordinators ------------------------------------------------------------------------------------------------


def can_moderate(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_coordinator


def require_moderator(viewer: Member) -> None:
    if not can_moderate(viewer):
        raise PermissionDenied("Only coordinators of this community can moderate the marketplace.")


def reports(coordinator: Member) -> QuerySet[Report]:
    """Every report in the coordinator's community, with what the queue shows of each."""
    require_moderator(coordinator)
    return Report.objects.filter(community_id=coordinator.community_id).select_related(
        "reporter", "about", "listing", "message", "message__author", "handled_by"
    )


def open_reports(coordinator: Member) -> QuerySet[Report]:
    return reports(coordinator).filter(status=ReportStatus.OPEN).order_by("created_at", "pk")


def get_report_or_404(coordinator: Member, report_id: int) -> Report:
    report = reports(coordinator).filter(pk=report_id).first()
    if report is None:
        raise Http404("No report with that number here.")
    return report


def hidden_listings(coordinator: Member) -> QuerySet[Listing]:
    require_moderator(coordinator)
    return (
        Listing.objects.filter(community_id=coordinator.community_id, hidden_at__isnull=False)
        .select_related("member", "hidden_by")
        .order_by("-hidden_at", "-pk")
    )


def get_listing_to_moderate_or_404(coordinator: Member, listing_id: int) -> Listing:
    """Any listing of the coordinator's community, hidden or not."""
    require_moderator(coordinator)
    listing = Listing.objects.filter(community_id=coordinator.community_id, pk=listing_id).select_related("member")
    found = listing.first()
    if found is None:
        raise Http404("No offer or request with that number here.")
    return found


def get_message_to_moderate_or_404(coordinator: Member, message_id: int) -> ExchangeMessage:
    require_moderator(coordinator)
    message = (
        ExchangeMessage.objects.filter(exchange__community_id=coordinator.community_id, pk=message_id)
        .select_related("author", "exchange")
        .first()
    )
    if message is None:
        raise Http404("No message with that number here.")
    return message


def patterns(coordinator: Member, member_ids: Iterable[int]) -> dict[int, rules.Pattern]:
    """For each member, how many separate things of theirs coordinators hid lately (one query for them all)."""
    require_moderator(coordinator)
    wanted, now = set(member_ids), timezone.now()
    rows = Report.objects.filter(
        community_id=coordinator.community_id,
        about_id__in=wanted,
        status=ReportStatus.ACTIONED,
        handled_at__gte=now - rules.PATTERN_WINDOW,
    ).values_list("about_id", "listing_id", "message_id", "handled_at")
    actioned: dict[int, list[rules.ActionedReport]] = defaultdict(list)
    for about_id, listing_id, message_id, handled_at in rows:
        target = f"listing:{listing_id}" if listing_id else f"message:{message_id}"
        actioned[about_id].append(rules.ActionedReport(target, handled_at))
    return {member_id: rules.pattern(actioned[member_id], now) for member_id in wanted}
