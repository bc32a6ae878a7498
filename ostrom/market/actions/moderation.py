"""Moderation's state changes: filing reports, coordinators hiding, showing again or dismissing, members blocking.

A coordinator decides about a *target* (an ad or a message), not about one report: hiding it marks every open
report of it actioned, dismissing marks them all dismissed, in the same transaction, with one audit row saying
who decided what and why. Every refusal is a DomainError raised before anything is written."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from ..access import moderation as access
from ..domain import moderation as rules
from ..models import Block, ExchangeMessage, Listing, Report, ReportReason, ReportStatus
from ..notices import moderation as notices

# --- Reports -----------------------------------------------------------------------------------------------------


@transaction.atomic
def report_listing(reporter: Member, listing: Listing, reason: str, note: str = "") -> Report:
    """File ``reporter``'s report of an ad they can see and did not post; coordinators are told."""
    _check_reporter(reporter)
    if listing.community_id != reporter.community_id:
        raise DomainError("listing_unknown", "There is no such offer or request here.", "listing")
    if listing.member_id == reporter.pk:
        raise DomainError("own_listing", "You cannot report your own offer or request. Edit or close it instead.")
    if not access.can_see_listing(reporter, listing):
        raise DomainError("listing_unknown", "There is no such offer or request here.", "listing")
    report = Report(community_id=reporter.community_id, reporter=reporter, about_id=listing.member_id, listing=listing)
    return _file(report, reason, note)


@transaction.atomic
def report_message(reporter: Member, message: ExchangeMessage, reason: str, note: str = "") -> Report:
    """File ``reporter``'s report of a message in one of their exchanges, written by the other side."""
    _check_reporter(reporter)
    if not access.visible_messages(reporter).filter(pk=message.pk).exists():
        raise DomainError("message_unknown", "There is no such message here.", "message")
    if message.author_id is None:
        raise DomainError("system_message", "This note was written by Ostrom itself; there is nobody to report.")
    if message.author_id == reporter.pk:
        raise DomainError("own_message", "You cannot report your own message.")
    report = Report(community_id=reporter.community_id, reporter=reporter, about_id=message.author_id, message=message)
    return _file(report, reason, note)


def _check_reporter(reporter: Member) -> None:
    if not reporter.is_active:
        raise DomainError("member_not_active", "Only active members can report something.")


def _file(report: Report, reason: str, note: str) -> Report:
    if reason not in ReportReason.values:
        raise DomainError("reason_unknown", "Choose why you are reporting this.", "reason")
    report.reason, report.note = reason, rules.clean_note(note)
    same = Report.objects.filter(reporter=report.reporter, status=ReportStatus.OPEN)
    target = {"listing_id": report.listing_id} if report.listing_id else {"message_id": report.message_id}
    if same.filter(**target).exists():
        raise _already_reported()
    if same.count() >= rules.MAX_OPEN_REPORTS:
        raise DomainError(
            "too_many_reports",
            f"You have {rules.MAX_OPEN_REPORTS} reports waiting for a coordinator. Wait until they have looked at "
            "some before reporting more.",
        )
    try:
        with transaction.atomic():  # the same report filed twice at once: the unique constraint lets one in
            report.save(force_insert=True)
    except IntegrityError:
        if same.filter(**target).exists():
            raise _already_reported() from None
        raise
    notices.report_filed(report)
    return report


def _already_reported() -> DomainError:
    return DomainError("already_reported", "You have already reported this. A coordinator will look at it soon.")


# --- Coordinators' decisions ---------------------------------------------------------------------------------------


@transaction.atomic
def hide_listing(coordinator: Member, listing: Listing, reason: str) -> Listing:
    """Hide an ad from everyone but its poster, who is told why; its open reports are marked acted on."""
    _check_coordinator(coordinator, listing.community_id, "listing_unknown")
    reason = rules.clean_reason(reason)
    locked = (
        Listing.objects.select_for_update(no_key=True, of=("self",))
        .select_related("member", "community")
        .get(pk=listing.pk)
    )
    if locked.hidden_at is not None:
        raise DomainError("already_hidden", "This is already hidden.")
    now = timezone.now()
    locked.hidden_at, locked.hidden_by, locked.hidden_reason = now, coordinator, reason
    locked.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    closed = _close_reports(Report.objects.filter(listing=locked), ReportStatus.ACTIONED, coordinator, reason, now)
    audit(
        locked.community, coordinator.user, "market.listing_hidden", locked.member, reason,
        listing=locked.pk, title=locked.title, reports=closed,
    )  # fmt: skip
    notices.listing_hidden(locked, reason)
    return locked


@transaction.atomic
def unhide_listing(coordinator: Member, listing: Listing, reason: str = "") -> Listing:
    """Show a hidden ad again (a mistake, or the poster put it right); its poster is told."""
    _check_coordinator(coordinator, listing.community_id, "listing_unknown")
    reason = rules.clean_note(reason, "reason", rules.REASON_MAX_CHARS)
    locked = (
        Listing.objects.select_for_update(no_key=True, of=("self",))
        .select_related("member", "community")
        .get(pk=listing.pk)
    )
    if locked.hidden_at is None:
        raise DomainError("not_hidden", "This is not hidden.")
    before = {
        "hidden_at": locked.hidden_at.isoformat(),
        "hidden_by": locked.hidden_by_id,
        "reason": locked.hidden_reason,
    }
    locked.hidden_at, locked.hidden_by, locked.hidden_reason = None, None, ""
    locked.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    audit(
        locked.community, coordinator.user, "market.listing_unhidden", locked.member, reason,
        listing=locked.pk, title=locked.title, before=before,
    )  # fmt: skip
    notices.listing_restored(locked)
    return locked


@transaction.atomic
def hide_message(coordinator: Member, message: ExchangeMessage, reason: str) -> ExchangeMessage:
    """Hide a message from its thread; its author is told why and its open reports are marked acted on."""
    community_id = message.exchange.community_id
    _check_coordinator(coordinator, community_id, "message_unknown")
    reason = rules.clean_reason(reason)
    locked = (
        ExchangeMessage.objects.select_for_update(no_key=True, of=("self",))
        .select_related("author", "exchange")
        .get(pk=message.pk)
    )
    if locked.hidden_at is not None:
        raise DomainError("already_hidden", "This is already hidden.")
    now = timezone.now()
    locked.hidden_at, locked.hidden_by = now, coordinator
    locked.save(update_fields=["hidden_at", "hidden_by"])
    closed = _close_reports(Report.objects.filter(message=locked), ReportStatus.ACTIONED, coordinator, reason, now)
    audit(
        coordinator.community, coordinator.user, "market.message_hidden", locked.author, reason,
        message=locked.pk, exchange=locked.exchange_id, reports=closed,
    )  # fmt: skip
    notices.message_hidden(locked, reason)
    return locked


@transaction.atomic
def dismiss_report(coordinator: Member, report: Report, note: str = "") -> int:
    """Leave the reported thing as it is: every open report of it is dismissed. Returns how many were."""
    _check_coordinator(coordinator, report.community_id, "report_unknown")
    note = rules.clean_note(note, "outcome")
    reports = Report.objects.filter(community_id=report.community_id)
    target = (
        reports.filter(listing_id=report.listing_id)
        if report.listing_id
        else reports.filter(message_id=report.message_id)
    )
    closed = _close_reports(target, ReportStatus.DISMISSED, coordinator, note, timezone.now())
    if not closed:
        raise DomainError("report_closed", "A coordinator has already decided about this report.")
    audit(
        coordinator.community, coordinator.user, "market.report_dismissed", report.about, note,
        reports=closed, **({"listing": report.listing_id} if report.listing_id else {"message": report.message_id}),
    )  # fmt: skip
    return len(closed)


@transaction.atomic
def resolve_report(coordinator: Member, report: Report, decision: str, reason: str = "") -> Report:
    """Decide about a report: ``hide`` what it is about, or ``dismiss`` it (and the other open reports of it)."""
    if decision == "dismiss":
        dismiss_report(coordinator, report, reason)
    elif decision == "hide":
        if report.status != ReportStatus.OPEN:
            raise DomainError("report_closed", "A coordinator has already decided about this report.")
        if report.listing_id:
            hide_listing(coordinator, report.listing, reason)
        else:
            hide_message(coordinator, report.message, reason)
    else:
        raise DomainError("decision_unknown", "Choose to hide it or to dismiss the report.", "decision")
    report.refresh_from_db()
    return report


def _check_coordinator(coordinator: Member, community_id: int, unknown_code: str) -> None:
    if coordinator.community_id != community_id:
        raise DomainError(unknown_code, "There is no such thing here.")
    if not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only this community's coordinators can do this.")


def _close_reports(reports, status: str, coordinator: Member, outcome: str, now) -> list[int]:
    """Close the open ones among ``reports`` in one update; the ids closed, for the audit row."""
    open_ids = list(
        reports.filter(status=ReportStatus.OPEN).select_for_update().order_by("pk").values_list("pk", flat=True)
    )
    Report.objects.filter(pk__in=open_ids, status=ReportStatus.OPEN).update(
        status=status, handled_by=coordinator, handled_at=now, outcome=outcome
    )
    return open_ids


# --- Blocks --------------------------------------------------------------------------------------------------------


@transaction.atomic
def block_member(blocker: Member, blocked: Member) -> tuple[Block, bool]:
    """``blocker`` stops seeing ``blocked``'s ads and either contacting the other. (block, created); blocking
    someone already blocked changes nothing. The blocked person is not told."""
    if not blocker.is_active:
        raise DomainError("member_not_active", "Only active members can block someone.")
    if blocked.community_id != blocker.community_id:
        raise DomainError("member_unknown", "There is no such member here.", "member")
    if blocked.pk == blocker.pk:
        raise DomainError("block_yourself", "You cannot block yourself.", "member")
    existing = Block.objects.filter(community_id=blocker.community_id, blocker=blocker, blocked=blocked).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # two clicks at once: the unique constraint lets one in
            return Block.objects.create(community_id=blocker.community_id, blocker=blocker, blocked=blocked), True
    except IntegrityError:
        existing = Block.objects.filter(community_id=blocker.community_id, blocker=blocker, blocked=blocked).first()
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def unblock_member(blocker: Member, blocked: Member) -> bool:
    """Lift ``blocker``'s block of ``blocked``; False if there was none. A block the other way stays."""
    deleted, _ = Block.objects.filter(community_id=blocker.community_id, blocker=blocker, blocked=blocked).delete()
    return bool(deleted)
