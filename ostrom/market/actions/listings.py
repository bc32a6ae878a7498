"""Every change to offers and requests: post (as a draft or at once), post on a resident's behalf, edit, publish,
pause, resume, renew, close, and the task that expires ads whose time is up.

Each action checks everything before it writes anything, in one transaction, so a refused change leaves no trace
(not even a photo file). Views, the API, SMS commands and tasks all call these."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.models import Currency

from ..access import listings as access
from ..domain import listings as rules
from ..models import Category, Listing, ListingKind, ListingStatus

__all__ = [
    "EDITABLE_FIELDS",
    "change_status",
    "close_listing",
    "create_listing",
    "expire_due",
    "pause_listing",
    "post_on_behalf",
    "publish_listing",
    "refresh_search_text",
    "renew_listing",
    "resume_listing",
    "update_listing",
]

# The fields a poster sets; ``photo`` and ``remove_photo`` travel beside them.
EDITABLE_FIELDS = (
    "kind", "title", "description", "category", "tags", "place_name", "latitude", "longitude", "availability",
    "remote_ok", "estimated_minutes", "expires_at", "price_amount", "price_currency", "organisation",
)  # fmt: skip
# The task expires at most this many ads a run and asks for another run when there were more.
EXPIRE_BATCH = 500
REASON_MAX_CHARS = 500


def refresh_search_text(listing: Listing) -> str:
    """Set (and return) what full-text search reads: title, description, tags, the category's name and its
    parent's. The caller saves it with the rest of the change."""
    category = listing.category
    names = [category.name] + ([category.parent.name] if category.parent_id else [])
    listing.search_text = " ".join([listing.title, listing.description, *listing.tags, *names])
    return listing.search_text


# --- Checking what was sent ---------------------------------------------------------------------------------------


def _category(community_id: int, value: Category | int | str | None, keep: int | None = None) -> Category:
    """An active category of the community (by object, id or slug); an ad may keep the retired one it is in."""
    if value is None or value == "":
        raise DomainError("category_required", "Choose a category.", "category")
    query = Category.objects.select_related("parent").filter(community_id=community_id)
    if isinstance(value, Category):
        query = query.filter(pk=value.pk)
    elif isinstance(value, int) and not isinstance(value, bool):
        query = query.filter(pk=value)
    elif isinstance(value, str) and value.isdigit():
        query = query.filter(pk=int(value))
    elif isinstance(value, str):
        query = query.filter(slug=value)
    else:
        query = query.none()
    category = query.first()
    if category is None:
        raise DomainError("category_unknown", "There is no such category here. Choose one from the list.", "category")
    if not category.is_active and category.pk != keep:
        raise DomainError(
            "category_retired", f"“{category.name}” is no longer used. Choose another category.", "category"
        )
    return category


def _organisation(author: Member, value: Organisation | int | None) -> Organisation | None:
    if value is None or value == "":
        return None
    organisation_id = value.pk if isinstance(value, Organisation) else value
    organisation = access.posting_organisations(author).filter(pk=organisation_id).first()
    if organisation is None:
        raise DomainError(
            "organisation_not_allowed", "You can only post for the organisation you work for.", "organisation"
        )
    return organisation


def _currency(community_id: int, value: Currency | int | str | None) -> Currency | None:
    if value is None or value == "":
        return None
    query = Currency.objects.filter(community_id=community_id, is_active=True)
    if isinstance(value, Currency):
        query = query.filter(pk=value.pk)
    elif isinstance(value, int) and not isinstance(value, bool):
        query = query.filter(pk=value)
    else:
        query = query.filter(code=str(value))
    currency = query.first()
    if currency is None:
        raise DomainError("currency_unknown", "This community has no such currency.", "price_currency")
    return currency


def _clean(author: Member, values: dict[str, Any], changed: set[str], current: Listing | None, now: datetime) -> dict:
    """Every field checked (only what changed, where checking the unchanged could wrongly refuse, e.g. a retired
    category or an end date that has passed). Raises the first rule broken, naming its field."""
    if values.get("kind") not in rules.LISTING_KINDS:
        raise DomainError("kind_invalid", "Choose whether you offer help or ask for it.", "kind")
    clean: dict[str, Any] = {"kind": values["kind"]}
    clean["title"] = rules.clean_title(values.get("title") or "")
    clean["description"] = rules.clean_description(values.get("description") or "")
    keep = current.category_id if current is not None else None
    clean["category"] = _category(author.community_id, values.get("category"), keep)
    clean["tags"] = rules.normalise_tags(values.get("tags") or [])
    clean["place_name"] = rules.clean_place_name(values.get("place_name") or "")
    clean["latitude"], clean["longitude"] = rules.clean_location(values.get("latitude"), values.get("longitude"))
    clean["availability"] = rules.clean_availability(values.get("availability") or [])
    clean["remote_ok"] = bool(values.get("remote_ok"))
    clean["estimated_minutes"] = rules.clean_estimated_minutes(values.get("estimated_minutes"))
    expires_at = values.get("expires_at")
    if expires_at is not None and "expires_at" in changed:
        rules.check_expiry(expires_at, now)
    clean["expires_at"] = expires_at
    if "organisation" in changed:
        clean["organisation"] = _organisation(author, values.get("organisation"))
    else:
        clean["organisation"] = values.get("organisation")
    currency = _currency(author.community_id, values.get("price_currency"))
    amount, priced = rules.check_price(
        kind=clean["kind"], for_organisation=clean["organisation"] is not None,
        amount=values.get("price_amount"), currency_kind=currency.kind if currency else None,
    )  # fmt: skip
    clean["price_amount"], clean["price_currency"] = (amount, currency) if priced else (None, None)
    return clean


def _photo(photo: Any) -> rules.CleanPhoto | None:
    """A checked, re-encoded photo from an upload (or bytes), or None when none was sent."""
    if photo is None:
        return None
    if isinstance(photo, bytes | bytearray):
        return rules.clean_photo(bytes(photo))
    size = getattr(photo, "size", None)
    if size is not None:
        rules.check_photo_size(size)  # before reading a huge upload into memory
    photo.seek(0)
    return rules.clean_photo(photo.read(rules.PHOTO_MAX_BYTES + 1))


def _reason(reason: str, required: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise DomainError("reason_required", required, "reason")
    if len(reason) > REASON_MAX_CHARS:
        raise DomainError("reason_too_long", f"Keep the reason to {REASON_MAX_CHARS} characters.", "reason")
    return reason


def _require_active(member: Member) -> None:
    if not member.is_active:
        raise DomainError("member_not_active", "Only active members can post or change offers and requests.")


def _lock_member(member: Member) -> None:
    """Take the poster's row so two posts at the same moment are counted one after the other."""
    Member.objects.select_for_update().filter(pk=member.pk).first()


def _check_rate(member: Member, now: datetime) -> None:
    recent = Listing.objects.filter(member=member, created_at__gt=now - rules.POSTING_WINDOW).count()
    rules.check_posting_rate(recent)


# --- Posting ------------------------------------------------------------------------------------------------------


def create_listing(
    author: Member,
    *,
    publish: bool = True,
    photo: Any = None,
    now: datetime | None = None,
    **fields: Any,
) -> Listing:
    """Post an offer or a request (``publish=False`` keeps it as a draft only its poster sees). Fields are those of
    ``EDITABLE_FIELDS``; ``organisation`` posts for the author's organisation (staff), which may then set a price."""
    return _create(author, author, publish=publish, photo=photo, now=now, fields=fields)


def post_on_behalf(
    coordinator: Member,
    member: Member,
    reason: str,
    *,
    publish: bool = True,
    photo: Any = None,
    now: datetime | None = None,
    **fields: Any,
) -> Listing:
    """A coordinator posts for a resident without internet (from a paper form or a phone call): the ad is the
    resident's, ``posted_by`` names the coordinator, and the audit log says why. The posting limit does not apply:
    coordinators type in a whole sheet of paper forms at once."""
    if not access.can_post_on_behalf(coordinator):
        raise DomainError("not_coordinator", "Only coordinators can post on someone else's behalf.")
    if member.community_id != coordinator.community_id:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    if member.pk == coordinator.pk:
        raise DomainError("not_yourself", "Post your own offers and requests from the usual page.", "member")
    reason = _reason(reason, "Say how they asked, for example “paper form at the library”.")
    if fields.get("organisation"):
        raise DomainError("organisation_not_allowed", "Post for an organisation from the usual page.", "organisation")
    return _create(member, coordinator, publish=publish, photo=photo, now=now, fields=fields, reason=reason)


def _create(
    member: Member, actor: Member, *, publish: bool, photo: Any, now: datetime | None, fields: dict, reason: str = ""
) -> Listing:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not a listing field: {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    _require_active(member)
    _require_active(actor)
    on_behalf = actor.pk != member.pk
    clean = _clean(actor, fields, set(EDITABLE_FIELDS), None, now)
    picture = _photo(photo)
    with transaction.atomic():
        _lock_member(member)
        if not on_behalf:
            _check_rate(member, now)
        listing = Listing(
            community_id=member.community_id, member=member, posted_by=actor if on_behalf else None,
            status=ListingStatus.DRAFT, created_at=now, updated_at=now, **clean,
        )  # fmt: skip
        if publish:
            _publish(listing, now, clean["expires_at"])
        refresh_search_text(listing)
        with _photo_saved(listing, picture):
            listing.save()
            if on_behalf:
                audit(
                    actor.community, actor.user, "market.listing_posted_on_behalf", member, reason,
                    listing=listing.pk, kind=listing.kind, title=listing.title,
                )  # fmt: skip
    return listing


@contextmanager
def _photo_saved(listing: Listing, picture: rules.CleanPhoto | None) -> Iterator[None]:
    """Store a new photo's file for the save inside the block, and remove it again if the block fails: the
    database rolls back, and the file must not outlive it. Files get random names, never the uploader's."""
    name = ""
    if picture is not None:
        listing.photo.save(f"{uuid.uuid4().hex}.{picture.extension}", ContentFile(picture.content), save=False)
        name = listing.photo.name
    try:
        yield
    except BaseException:
        if name:
            default_storage.delete(name)
        raise


def _publish(listing: Listing, now: datetime, expires_at: datetime | None) -> None:
    listing.status = ListingStatus.ACTIVE
    listing.published_at = now
    listing.expires_at = expires_at if expires_at is not None and expires_at > now else rules.default_expiry(now)


# --- Editing ------------------------------------------------------------------------------------------------------


def _locked(actor: Member, listing: Listing) -> Listing:
    """The listing as it is now, locked, if ``actor`` may change it."""
    current = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("category__parent", "member", "organisation")
        .filter(pk=listing.pk, community_id=actor.community_id)
        .first()
    )
    if current is None:
        raise DomainError("listing_unknown", "There is no such offer or request here.")
    if not access.can_edit(actor, current):
        raise DomainError("not_allowed", "Only the person who posted this, or a coordinator, can change it.")
    return current


def _acting_for_someone(actor: Member, listing: Listing) -> bool:
    """A coordinator changing an ad that is neither theirs nor their organisation's: audited."""
    if actor.pk == listing.member_id:
        return False
    return not (listing.organisation_id and actor.organisation_id == listing.organisation_id)


def update_listing(
    actor: Member,
    listing: Listing,
    *,
    photo: Any = None,
    remove_photo: bool = False,
    reason: str = "",
    now: datetime | None = None,
    **changes: Any,
) -> Listing:
    """Change some of an ad's fields (the others stay), replace or remove its photo. A closed ad cannot change."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not a listing field: {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    _require_active(actor)
    picture = _photo(photo)
    old_photo = ""
    with transaction.atomic():
        current = _locked(actor, listing)
        rules.check_editable(current.status)
        values = {name: getattr(current, name) for name in EDITABLE_FIELDS}
        values.update(changes)
        changed = {name for name in changes if changes[name] != getattr(current, name)}
        clean = _clean(actor, values, changed, current, now)
        for name, value in clean.items():
            setattr(current, name, value)
        current.updated_at = now
        refresh_search_text(current)
        if (picture is not None or remove_photo) and current.photo:
            old_photo = current.photo.name
        if remove_photo and picture is None:
            current.photo = ""
        with _photo_saved(current, picture):
            current.save()
            if _acting_for_someone(actor, current):
                audit(
                    actor.community, actor.user, "market.listing_changed_for_member", current.member, reason,
                    listing=current.pk, fields=sorted(changed | ({"photo"} if picture or remove_photo else set())),
                )  # fmt: skip
        if old_photo:
            transaction.on_commit(lambda: default_storage.delete(old_photo))
    return current


# --- Status -------------------------------------------------------------------------------------------------------


def change_status(
    actor: Member,
    listing: Listing,
    action: str,
    *,
    expires_at: datetime | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Listing:
    """Publish, pause, resume, renew or close an ad. ``expires_at`` chooses the end date when publishing or
    renewing (default: 60 days from now)."""
    now = now or timezone.now()
    _require_active(actor)
    if expires_at is not None:
        if action not in ("publish", "renew"):
            raise DomainError("expiry_not_allowed", "Only publishing or renewing sets an end date.", "expires_at")
        rules.check_expiry(expires_at, now)
    with transaction.atomic():
        current = _locked(actor, listing)
        if action == "expire":  # the task's, not a person's
            raise DomainError("action_unknown", "Choose publish, pause, resume, renew or close.", "action")
        if action == "resume" and current.expires_at is not None and current.expires_at <= now:
            raise DomainError("wrong_status", "This ad has passed its end date. Renew it to show it again.")
        current.status = rules.next_status(current.status, action)
        fields = ["status", "updated_at"]
        if action == "publish":
            _publish(current, now, expires_at or current.expires_at)
            fields += ["published_at", "expires_at"]
        elif action == "renew":
            current.expires_at = expires_at or rules.default_expiry(now)
            fields.append("expires_at")
        elif action == "close":
            current.closed_at = now
            fields.append("closed_at")
        current.updated_at = now
        current.save(update_fields=fields)
        if _acting_for_someone(actor, current):
            audit(
                actor.community, actor.user, f"market.listing_{rules.ACTION_WORDS[action]}_for_member",
                current.member, reason, listing=current.pk,
            )  # fmt: skip
    return current


def publish_listing(actor: Member, listing: Listing, expires_at: datetime | None = None, **kw: Any) -> Listing:
    """Show a draft to the community, until ``expires_at`` (default: 60 days)."""
    return change_status(actor, listing, "publish", expires_at=expires_at, **kw)


def pause_listing(actor: Member, listing: Listing, **kw: Any) -> Listing:
    """Hide an ad for a while (on holiday, too busy); it keeps its end date."""
    return change_status(actor, listing, "pause", **kw)


def resume_listing(actor: Member, listing: Listing, **kw: Any) -> Listing:
    """Show a paused ad again, if its end date has not passed."""
    return change_status(actor, listing, "resume", **kw)


def renew_listing(actor: Member, listing: Listing, expires_at: datetime | None = None, **kw: Any) -> Listing:
    """Show an ad again with a new end date (default: 60 days from now)."""
    return change_status(actor, listing, "renew", expires_at=expires_at, **kw)


def close_listing(actor: Member, listing: Listing, **kw: Any) -> Listing:
    """Take an ad down for good (the help was given, or is no longer needed)."""
    return change_status(actor, listing, "close", **kw)


def expire_due(now: datetime | None = None, limit: int = EXPIRE_BATCH) -> int:
    """Expire active and paused ads whose end date has passed, at most ``limit`` a run; returns how many. Running
    it twice, or on two workers at once, expires each ad once: the update re-checks status and date."""
    now = now or timezone.now()
    due = Listing.objects.filter(status__in=[ListingStatus.ACTIVE, ListingStatus.PAUSED], expires_at__lte=now)
    ids = list(due.order_by("expires_at", "pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    return due.filter(pk__in=ids).update(status=ListingStatus.EXPIRED, updated_at=now)


def kind_word(kind: str) -> str:
    """ "offer" or "request", for messages."""
    return "offer" if kind == ListingKind.OFFER else "request"
