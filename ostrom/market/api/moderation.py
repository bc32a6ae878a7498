"""Moderation's JSON API: report an ad or a message, block and unblock, list whom you blocked; coordinators list
reports (with the poster's recent history) and decide about them, and hide or show again an ad directly.

Thin adapters over market.access.moderation (who may see what) and market.actions.moderation (every change).
Codes that are about who is asking (``not_coordinator``, 403) or how things stand (``already_reported``,
``already_hidden``, ``report_closed``..., 409) are mapped in config/api.py; something the community does not
have is a 404, whether or not it exists elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from ostrom.communities.api import MAX_ID, PageQuery, Text, error_responses, page_of
from ostrom.communities.models import Member
from ostrom.ledger.api import BodyId

from ..access import listings as listing_access
from ..access import moderation as access
from ..actions import moderation as actions
from ..domain.moderation import NOTE_MAX_CHARS, REASON_MAX_CHARS, Pattern
from ..models import Block, Listing, Report, ReportReason, ReportStatus

router = Router(tags=["market"])

# The statuses moderation's DomainError codes answer with, for config/api.py's DOMAIN_ERROR_STATUS (every other
# code is a 400). Acting on your own ad, message or self could succeed for someone else: 403, as not_yourself is.
# Something the community does not have: 404. How things stand now (already reported, hidden, decided): 409.
ERROR_STATUS = {
    "not_coordinator": 403,
    "own_listing": 403,
    "own_message": 403,
    "block_yourself": 403,
    "listing_unknown": 404,
    "message_unknown": 404,
    "report_unknown": 404,
    "member_unknown": 404,
    "already_reported": 409,
    "too_many_reports": 409,
    "already_hidden": 409,
    "not_hidden": 409,
    "report_closed": 409,
    "member_not_active": 409,
}

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: ReportReason
    note: Text(NOTE_MAX_CHARS) = Field("", description="Anything the coordinators should know.")


class ReportOut(Schema):
    id: int
    listing_id: int | None
    message_id: int | None
    reason: ReportReason
    note: str
    status: ReportStatus
    created_at: datetime
    handled_at: datetime | None
    outcome: str


class MemberRef(Schema):
    id: int
    display_name: str


class HistoryOut(Schema):
    hidden_count: int = Field(description="Separate things of this member's hidden by coordinators in 90 days.")
    level: Literal["none", "some", "repeated"]
    summary: str


class QueuedReportOut(ReportOut):
    """A report as coordinators see it: who reported whom, what about, and the poster's recent history."""

    reporter: MemberRef
    about: MemberRef
    target_title: str = Field(description="The listing's title, or the start of the message.")
    target_hidden: bool
    history: HistoryOut


class ReportPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[QueuedReportOut]


class ReportQuery(PageQuery):
    status: ReportStatus = Field(ReportStatus.OPEN, description="Only reports in this state (default: open).")


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["hide", "dismiss"] = Field(
        description="hide: hide what was reported (its poster is told why); dismiss: leave it as it is. Either "
        "closes every open report of it."
    )
    reason: Text(NOTE_MAX_CHARS) = Field(
        "", description="Required to hide (at most 500 characters): the poster sees it."
    )


class BlockIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member_id: BodyId = Field(description="A member of your community.")


class BlockOut(Schema):
    member: MemberRef
    created_at: datetime


class BlockPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BlockOut]


class HideIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(REASON_MAX_CHARS) = Field(description="Why; the poster is told it.")


class UnhideIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(REASON_MAX_CHARS) = Field("", description="Why, for the record.")


class ModeratedListingOut(Schema):
    id: int
    title: str
    hidden: bool
    hidden_at: datetime | None
    hidden_reason: str


# --- Members -----------------------------------------------------------------------------------------------------


REPORT_ANSWERS = {201: ReportOut, **error_responses(400, 401, 403, 404, 409, 422)}


@router.post("/market/listings/{listing_id}/report", response=REPORT_ANSWERS)
def report_listing(request: HttpRequest, listing_id: PathId, payload: ReportIn) -> Status:
    """Report an offer or request you can see to the coordinators. Your own is 403 ``own_listing``; one you
    cannot see is 404; reporting it again while your report waits is 409 ``already_reported``. The person
    reported is not told who reported them."""
    viewer: Member = request.auth
    listing = listing_access.get_listing_or_404(viewer, listing_id)
    return Status(201, actions.report_listing(viewer, listing, payload.reason, payload.note))


@router.post("/market/messages/{message_id}/report", response=REPORT_ANSWERS)
def report_message(request: HttpRequest, message_id: PathId, payload: ReportIn) -> Status:
    """Report a message in one of your exchanges, written by the other side. Your own is 403 ``own_message``;
    a message outside your exchanges is 404; again while your report waits, 409 ``already_reported``."""
    viewer: Member = request.auth
    message = access.get_message_or_404(viewer, message_id)
    return Status(201, actions.report_message(viewer, message, payload.reason, payload.note))


@router.get("/market/blocks", response={200: BlockPage, **error_responses(401, 422)})
def list_blocks(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The members you blocked, newest first. (Who blocked you is not shown.)"""
    result = page_of(access.my_blocks(request.auth), page)
    result["items"] = [_block_out(block) for block in result["items"]]
    return result


@router.post("/market/blocks", response={201: BlockOut, 200: BlockOut, **error_responses(400, 401, 403, 404, 409, 422)})
def block_member(request: HttpRequest, payload: BlockIn) -> Status:
    """Block a member: neither of you sees the other's ads or can contact the other. 201 when new, 200 when you
    had already blocked them. Yourself is 403 ``block_yourself``; someone not in your community is 404."""
    viewer: Member = request.auth
    other = access.get_member_to_block_or_404(viewer, payload.member_id)
    block, created = actions.block_member(viewer, other)
    return Status(201 if created else 200, _block_out(block))


@router.delete("/market/blocks/{member_id}", response={204: None, **error_responses(401, 404, 422)})
def unblock_member(request: HttpRequest, member_id: PathId) -> Status:
    """Lift your block of a member (204, also when there was none). A block they made of you stays."""
    viewer: Member = request.auth
    other = access.get_member_to_block_or_404(viewer, member_id)
    actions.unblock_member(viewer, other)
    return Status(204, None)


def _block_out(block: Block) -> dict[str, Any]:
    return {"member": block.blocked, "created_at": block.created_at}


# --- Coordinators ------------------------------------------------------------------------------------------------


@router.get("/market/reports", response={200: ReportPage, **error_responses(401, 403, 422)})
def list_reports(request: HttpRequest, filters: Query[ReportQuery]) -> dict[str, Any]:
    """Coordinators: the community's reports in one state (open by default), oldest first, each with the
    reported member's recent history, so a pattern shows."""
    viewer: Member = request.auth
    reports: QuerySet[Report] = access.reports(viewer).filter(status=filters.status).order_by("created_at", "pk")
    result = page_of(reports, filters)
    patterns = access.patterns(viewer, {report.about_id for report in result["items"]})
    result["items"] = [_queued_out(report, patterns[report.about_id]) for report in result["items"]]
    return result


@router.post(
    "/market/reports/{report_id}/resolve",
    response={200: QueuedReportOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def resolve_report(request: HttpRequest, report_id: PathId, payload: ResolveIn) -> dict[str, Any]:
    """Coordinators: hide what a report is about (with a ``reason`` its poster is told), or dismiss it. Every
    open report of the same thing is closed with it; audited. A report already decided is 409 ``report_closed``."""
    viewer: Member = request.auth
    report = access.get_report_or_404(viewer, report_id)
    report = actions.resolve_report(viewer, report, payload.decision, payload.reason)
    report = access.get_report_or_404(viewer, report.pk)
    return _queued_out(report, access.patterns(viewer, {report.about_id})[report.about_id])


@router.post(
    "/market/moderation/listings/{listing_id}/hide",
    response={200: ModeratedListingOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def hide_listing(request: HttpRequest, listing_id: PathId, payload: HideIn) -> dict[str, Any]:
    """Coordinators: hide an offer or request without waiting for a report; its poster is told why; audited."""
    viewer: Member = request.auth
    listing = access.get_listing_to_moderate_or_404(viewer, listing_id)
    return _moderated_out(actions.hide_listing(viewer, listing, payload.reason))


@router.post(
    "/market/moderation/listings/{listing_id}/unhide",
    response={200: ModeratedListingOut, **error_responses(400, 401, 403, 404, 409, 422)},
)
def unhide_listing(request: HttpRequest, listing_id: PathId, payload: UnhideIn) -> dict[str, Any]:
    """Coordinators: show a hidden offer or request again; its poster is told; audited. 409 ``not_hidden``."""
    viewer: Member = request.auth
    listing = access.get_listing_to_moderate_or_404(viewer, listing_id)
    return _moderated_out(actions.unhide_listing(viewer, listing, payload.reason))


def _moderated_out(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.pk, "title": listing.title, "hidden": listing.hidden_at is not None,
        "hidden_at": listing.hidden_at, "hidden_reason": listing.hidden_reason,
    }  # fmt: skip


def _queued_out(report: Report, pattern: Pattern) -> dict[str, Any]:
    if report.listing_id is not None:
        title, hidden = report.listing.title, report.listing.hidden_at is not None
    else:
        title, hidden = report.message.body[:120], report.message.hidden_at is not None
    return {
        "id": report.pk, "listing_id": report.listing_id, "message_id": report.message_id, "reason": report.reason,
        "note": report.note, "status": report.status, "created_at": report.created_at,
        "handled_at": report.handled_at, "outcome": report.outcome, "reporter": report.reporter,
        "about": report.about, "target_title": title, "target_hidden": hidden,
        "history": {"hidden_count": pattern.hidden_count, "level": pattern.level, "summary": pattern.summary},
    }  # fmt: skip
