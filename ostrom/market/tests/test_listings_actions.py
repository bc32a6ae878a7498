"""Posting and changing offers and requests through the actions, told as stories about the cast: Mina (member),
Cora (coordinator), Sam (council staff), Otto (Hillside only), and Pat, a Riverside resident without internet.

Every refusal writes nothing: no ad, no audit row, no photo file. The helpers here are shared by the other
listings tests."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ostrom.communities.domain import DomainError, Status
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger.actions import accounts
from ostrom.ledger.models import CurrencyKind
from ostrom.market.actions import listings as actions
from ostrom.market.actions.categories import install_default_categories
from ostrom.market.models import Category, Listing, ListingStatus
from ostrom.market.tests.factories import CategoryFactory, ListingFactory

DAY = timedelta(days=1)


# --- Shared helpers -------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Photos go to a fresh folder for each test, so a test can count the files left behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def picture(kind: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 160, 90)).save(out, kind)
    return out.getvalue()


def upload(content: bytes, name: str = "garden.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def snapshot(media_root: Path | None = None) -> dict:
    """Everything a refused change could have written."""
    return {
        "listings": list(Listing.objects.order_by("pk").values()),
        "categories": list(Category.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True)),
        "files": files_in(media_root) if media_root else [],
    }


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.message.strip()
    return caught.value


def offer(**extra) -> dict:
    """What Mina types for her gardening offer."""
    return {
        "kind": "offer",
        "title": "Help with the garden",
        "description": "Weeding, mowing and planting on weekend mornings.",
        "category": extra.pop("category"),
        "tags": "Gardening, weeding",
        **extra,
    }


@pytest.fixture
def credits(community):
    """Riverside's leisure credits, in hundredths (pence-like)."""
    return accounts.create_currency(
        community, code="leisure", name="Leisure credits", kind=CurrencyKind.CREDIT, symbol="LC", scale=100
    )


@pytest.fixture
def hours(community):
    return accounts.create_currency(community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, scale=60)


@pytest.fixture
def pat(community):
    """A resident without internet: a phone number and no email."""
    return MemberFactory(
        community=community,
        display_name="Pat Price",
        user=UserFactory(full_name="Pat Price", email=None, phone="+447700900155"),
    )


# --- Posting --------------------------------------------------------------------------------------------------------


def test_mina_offers_help_and_it_shows_for_60_days(member, gardening):
    listing = actions.create_listing(member, **offer(category=gardening, availability=["weekends"]))

    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE
    assert listing.member == member and listing.posted_by is None
    assert listing.tags == ["gardening", "weeding"]
    assert listing.availability == ["weekends"]
    assert listing.expires_at - listing.published_at == timedelta(days=60)
    assert (
        listing.search_text
        == "Help with the garden Weeding, mowing and planting on weekend mornings. gardening weeding Gardening"
    )


def test_search_text_names_the_category_and_its_parent(member, community):
    install_default_categories(community)
    lifts = Category.objects.get(community=community, slug="lifts")

    listing = actions.create_listing(member, **offer(category=lifts.pk, title="Lifts to the clinic"))

    assert listing.search_text.endswith("gardening weeding Lifts Transport")


def test_a_draft_is_kept_unpublished_until_mina_publishes_it(member, gardening):
    draft = actions.create_listing(member, publish=False, **offer(category=gardening))
    assert (draft.status, draft.published_at, draft.expires_at) == (ListingStatus.DRAFT, None, None)

    with time_machine.travel(timezone.now() + 3 * DAY):
        published = actions.publish_listing(member, draft)

    assert published.status == ListingStatus.ACTIVE
    assert published.expires_at - published.published_at == timedelta(days=60)


def test_mina_may_choose_when_it_ends(member, gardening):
    end = timezone.now() + 10 * DAY
    listing = actions.create_listing(member, **offer(category=gardening, expires_at=end))
    assert listing.expires_at == end


def test_a_category_can_be_named_by_its_slug(member, gardening):
    assert actions.create_listing(member, **offer(category="gardening")).category == gardening


def test_a_photo_is_stored_under_a_random_name(member, gardening, media):
    listing = actions.create_listing(
        member, photo=upload(picture(), name="Mina Smith house.jpg"), **offer(category=gardening)
    )

    assert listing.photo.name.startswith("market/photos/")
    assert "Mina" not in listing.photo.name and listing.photo.name.endswith(".jpg")
    assert len(files_in(media)) == 1


# --- Bad input writes nothing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"title": ""}, "title_required", "title"),
        ({"title": "x" * 121}, "title_too_long", "title"),
        ({"description": ""}, "description_required", "description"),
        ({"description": "y" * 4001}, "description_too_long", "description"),
        ({"kind": "swap"}, "kind_invalid", "kind"),
        ({"tags": ["#garden"]}, "tag_invalid", "tags"),
        ({"tags": [f"t{n}" for n in range(13)]}, "too_many_tags", "tags"),
        ({"place_name": "x" * 81}, "place_too_long", "place_name"),
        ({"availability": ["midnight"]}, "availability_invalid", "availability"),
        ({"estimated_minutes": 0}, "duration_invalid", "estimated_minutes"),
        ({"latitude": 53.8}, "location_incomplete", "latitude"),
        ({"latitude": 95, "longitude": 1}, "invalid_location", "latitude"),
        ({"expires_at": "past"}, "expiry_in_past", "expires_at"),
        ({"expires_at": "far"}, "expiry_too_far", "expires_at"),
        ({"category": 999_999}, "category_unknown", "category"),
        ({"category": "no-such-slug"}, "category_unknown", "category"),
        ({"category": None}, "category_required", "category"),
        ({"price_amount": 100, "price_currency": "leisure"}, "price_not_allowed", "price_amount"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_writes_nothing(member, gardening, credits, media, change, code, field):
    now = timezone.now()
    if change.get("expires_at") == "past":
        change["expires_at"] = now - DAY
    elif change.get("expires_at") == "far":
        change["expires_at"] = now + 181 * DAY
    before = snapshot(media)

    error = refused(actions.create_listing, member, photo=upload(picture()), **{**offer(category=gardening), **change})

    assert (error.code, error.field) == (code, field)
    assert snapshot(media) == before


def test_another_communitys_category_is_unknown(member, other_community):
    hillside = CategoryFactory(community=other_community, name="Hillside gardening", slug="hillside-gardening")
    assert refused(actions.create_listing, member, **offer(category=hillside.pk)).code == "category_unknown"
    assert refused(actions.create_listing, member, **offer(category="hillside-gardening")).code == "category_unknown"


def test_a_retired_category_takes_no_new_ads(member, gardening):
    gardening.is_active = False
    gardening.save()
    assert refused(actions.create_listing, member, **offer(category=gardening)).code == "category_retired"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"just some text, not a picture", "notes.jpg", "photo_not_image"),
        (picture("GIF"), "moving.gif", "photo_not_image"),
        (b"\x00" * (5 * 1024 * 1024 + 1), "huge.jpg", "photo_too_large"),
    ],
)
def test_an_oversized_or_non_image_upload_is_refused_and_writes_nothing(member, gardening, media, content, name, code):
    before = snapshot(media)
    error = refused(actions.create_listing, member, photo=upload(content, name), **offer(category=gardening))
    assert (error.code, error.field) == (code, "photo")
    assert snapshot(media) == before


def test_a_failure_after_the_photo_was_stored_removes_the_file(member, gardening, media, monkeypatch):
    def broken(listing):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "refresh_search_text", lambda listing: None)
    monkeypatch.setattr(Listing, "save", broken)

    with pytest.raises(RuntimeError):
        actions.create_listing(member, photo=upload(picture()), **offer(category=gardening))

    assert files_in(media) == []


def test_a_suspended_member_cannot_post(member, gardening):
    member.status = Status.SUSPENDED
    member.save()
    assert refused(actions.create_listing, member, **offer(category=gardening)).code == "member_not_active"


# --- Posting limit --------------------------------------------------------------------------------------------------


def test_mina_may_post_ten_ads_in_24_hours_and_then_must_wait(member, gardening):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(10):
            actions.create_listing(member, **offer(category=gardening, title=f"Garden help {number}"))
        before = snapshot()

        assert refused(actions.create_listing, member, **offer(category=gardening)).code == "posting_rate_limited"
        assert refused(actions.create_listing, member, publish=False, **offer(category=gardening)).code == (
            "posting_rate_limited"
        )
        assert snapshot() == before

    with time_machine.travel(start + DAY + timedelta(seconds=1), tick=False):
        assert actions.create_listing(member, **offer(category=gardening)).status == ListingStatus.ACTIVE


def test_the_limit_is_each_members_own(member, coordinator, gardening):
    for number in range(10):
        ListingFactory(community=member.community, member=member, category=gardening, title=f"Help {number}")
    assert actions.create_listing(coordinator, **offer(category=gardening)).member == coordinator


# --- Organisations and prices ---------------------------------------------------------------------------------------


def test_council_staff_post_a_priced_offer_for_their_organisation(staff, organisation, gardening, credits):
    swim = actions.create_listing(
        staff, organisation=organisation, price_amount=100, price_currency=credits,
        **offer(category=gardening, title="Swimming session", description="One swim at the leisure centre."),
    )  # fmt: skip

    assert (swim.organisation, swim.price_amount, swim.price_currency) == (organisation, 100, credits)


def test_a_member_cannot_post_for_an_organisation(member, organisation, gardening):
    error = refused(actions.create_listing, member, organisation=organisation, **offer(category=gardening))
    assert (error.code, error.field) == ("organisation_not_allowed", "organisation")


def test_a_price_must_be_in_credits_and_only_on_an_organisations_offer(staff, organisation, gardening, credits, hours):
    as_council = {"organisation": organisation, **offer(category=gardening)}
    assert refused(actions.create_listing, staff, price_amount=60, price_currency=hours, **as_council).code == (
        "price_currency_invalid"
    )
    assert refused(actions.create_listing, staff, price_amount=100, price_currency="nope", **as_council).code == (
        "currency_unknown"
    )
    request = {**as_council, "kind": "request"}
    assert refused(actions.create_listing, staff, price_amount=100, price_currency=credits, **request).code == (
        "price_not_allowed"
    )
    assert refused(actions.create_listing, staff, price_amount=100, **as_council).code == "price_currency_required"


# --- On behalf ------------------------------------------------------------------------------------------------------


def test_cora_posts_for_pat_who_has_no_internet_and_the_audit_log_says_why(coordinator, pat, gardening):
    listing = actions.post_on_behalf(
        coordinator, pat, "Paper form at the library", **offer(category=gardening, title="Knitting lessons")
    )

    assert (listing.member, listing.posted_by, listing.status) == (pat, coordinator, ListingStatus.ACTIVE)
    entry = AuditEntry.objects.get(action="market.listing_posted_on_behalf")
    assert (entry.actor, entry.member, entry.reason) == (coordinator.user, pat, "Paper form at the library")
    assert entry.details["listing"] == listing.pk


def test_posting_on_behalf_needs_a_coordinator_a_reason_and_a_member_of_the_community(
    coordinator, member, pat, outsider, gardening
):
    before = snapshot()
    assert refused(actions.post_on_behalf, member, pat, "Asked me", **offer(category=gardening)).code == (
        "not_coordinator"
    )
    assert refused(actions.post_on_behalf, coordinator, pat, "  ", **offer(category=gardening)).code == (
        "reason_required"
    )
    assert refused(actions.post_on_behalf, coordinator, outsider, "Phone", **offer(category=gardening)).code == (
        "member_unknown"
    )
    assert snapshot() == before


def test_coordinators_posting_on_behalf_are_not_held_to_the_posting_limit(coordinator, pat, gardening):
    for number in range(11):
        actions.post_on_behalf(coordinator, pat, "Paper forms", **offer(category=gardening, title=f"Item {number}"))
    assert Listing.objects.filter(member=pat).count() == 11


# --- Editing --------------------------------------------------------------------------------------------------------


def test_mina_changes_her_offer_and_only_what_she_sent_changes(minas_offer, member):
    changed = actions.update_listing(member, minas_offer, title="Garden and hedge help", tags="hedges")

    changed.refresh_from_db()
    assert changed.title == "Garden and hedge help"
    assert changed.tags == ["hedges"]
    assert changed.description == "Weeding and planting on weekend mornings."
    assert "hedges" in changed.search_text and "Garden and hedge help" in changed.search_text
    assert not AuditEntry.objects.exists()


def test_someone_else_cannot_change_minas_offer(minas_offer, staff, outsider):
    before = snapshot()
    assert refused(actions.update_listing, staff, minas_offer, title="Mine now").code == "not_allowed"
    assert refused(actions.update_listing, outsider, minas_offer, title="Mine now").code == "listing_unknown"
    assert snapshot() == before


def test_a_coordinators_change_to_minas_offer_is_audited(minas_offer, coordinator, member):
    actions.update_listing(coordinator, minas_offer, title="Gardening help (weekends)", reason="She phoned")

    entry = AuditEntry.objects.get(action="market.listing_changed_for_member")
    assert (entry.member, entry.reason, entry.details["fields"]) == (member, "She phoned", ["title"])


def test_staff_may_change_their_colleagues_organisation_offer(staff, organisation, community, gardening):
    colleague = MemberFactory(community=community, role="staff", organisation=organisation)
    swim = ListingFactory(community=community, member=colleague, organisation=organisation, category=gardening)

    assert actions.update_listing(staff, swim, title="Swimming, Tuesdays").title == "Swimming, Tuesdays"


def test_bad_changes_write_nothing(minas_offer, member, media):
    before = snapshot(media)
    assert refused(actions.update_listing, member, minas_offer, title="").code == "title_required"
    assert refused(actions.update_listing, member, minas_offer, photo=upload(b"GIF89a")).code == "photo_not_image"
    assert refused(actions.update_listing, member, minas_offer, expires_at=timezone.now() - DAY).code == (
        "expiry_in_past"
    )
    assert snapshot(media) == before


def test_an_ad_may_keep_the_retired_category_it_is_in(minas_offer, member, gardening):
    gardening.is_active = False
    gardening.save()
    assert actions.update_listing(member, minas_offer, title="Still gardening").category == gardening


def test_a_new_photo_replaces_the_old_file_once_saved(minas_offer, member, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.update_listing(member, minas_offer, photo=upload(picture()))
    old = media / first.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        second = actions.update_listing(member, minas_offer, photo=upload(picture("PNG"), "b.png", "image/png"))

    assert second.photo.name.endswith(".png")
    assert files_in(media) == [media / second.photo.name]
    assert not old.exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_listing(member, minas_offer, remove_photo=True)
    assert files_in(media) == []
    minas_offer.refresh_from_db()
    assert not minas_offer.photo


def test_a_closed_ad_cannot_be_changed(minas_offer, member):
    actions.close_listing(member, minas_offer)
    assert refused(actions.update_listing, member, minas_offer, title="Again").code == "wrong_status"


# --- Status ---------------------------------------------------------------------------------------------------------


def test_mina_pauses_resumes_renews_and_closes_her_offer(minas_offer, member):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        paused = actions.pause_listing(member, minas_offer)
        assert paused.status == ListingStatus.PAUSED
        resumed = actions.resume_listing(member, minas_offer)
        assert resumed.status == ListingStatus.ACTIVE

    with time_machine.travel(start + 10 * DAY, tick=False):
        renewed = actions.renew_listing(member, minas_offer)
        assert renewed.expires_at == start + 70 * DAY
        chosen = actions.renew_listing(member, minas_offer, expires_at=start + 40 * DAY)
        assert chosen.expires_at == start + 40 * DAY
        closed = actions.close_listing(member, minas_offer)

    assert (closed.status, closed.closed_at) == (ListingStatus.CLOSED, start + 10 * DAY)


def test_a_change_the_state_does_not_allow_is_refused(minas_offer, member):
    before = snapshot()
    assert refused(actions.resume_listing, member, minas_offer).code == "wrong_status"
    assert refused(actions.publish_listing, member, minas_offer).code == "wrong_status"
    assert refused(actions.change_status, member, minas_offer, "expire").code == "action_unknown"
    assert refused(actions.pause_listing, member, minas_offer, expires_at=timezone.now() + DAY).code == (
        "expiry_not_allowed"
    )
    assert refused(actions.renew_listing, member, minas_offer, expires_at=timezone.now() - DAY).code == (
        "expiry_in_past"
    )
    assert snapshot() == before


def test_a_paused_ad_past_its_end_date_must_be_renewed_not_resumed(minas_offer, member):
    end = timezone.now() + 5 * DAY
    actions.renew_listing(member, minas_offer, expires_at=end)
    actions.pause_listing(member, minas_offer)
    with time_machine.travel(end + DAY):
        assert refused(actions.resume_listing, member, minas_offer).code == "wrong_status"
        assert actions.renew_listing(member, minas_offer).status == ListingStatus.ACTIVE


def test_a_coordinator_closing_minas_offer_is_audited(minas_offer, coordinator, member):
    actions.close_listing(coordinator, minas_offer, reason="She moved away")
    entry = AuditEntry.objects.get(action="market.listing_closed_for_member")
    assert (entry.member, entry.reason) == (member, "She moved away")


# --- Expiry ---------------------------------------------------------------------------------------------------------


def test_ads_past_their_end_date_expire_once_however_often_the_task_runs(member, gardening):
    now = timezone.now()
    due = ListingFactory(community=member.community, member=member, category=gardening, expires_at=now - DAY)
    paused = ListingFactory(
        community=member.community, member=member, category=gardening, expires_at=now, status=ListingStatus.PAUSED
    )
    current = ListingFactory(community=member.community, member=member, category=gardening, expires_at=now + DAY)
    draft = ListingFactory(
        community=member.community, member=member, category=gardening, status=ListingStatus.DRAFT,
        published_at=None, expires_at=now - DAY,
    )  # fmt: skip

    assert actions.expire_due(now) == 2
    assert actions.expire_due(now) == 0

    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "expired", paused.pk: "expired", current.pk: "active", draft.pk: "draft"}


def test_expiry_works_in_batches(member, gardening):
    past = timezone.now() - DAY
    for _ in range(5):
        ListingFactory(community=member.community, member=member, category=gardening, expires_at=past)

    assert [actions.expire_due(limit=2) for _ in range(4)] == [2, 2, 1, 0]


def test_the_periodic_task_expires_ads(member, gardening):
    from ostrom.market import tasks

    ListingFactory(community=member.community, member=member, category=gardening, expires_at=timezone.now() - DAY)

    assert tasks.expire_listings.call() == 1
    assert tasks.expire_listings in tasks.PERIODIC
