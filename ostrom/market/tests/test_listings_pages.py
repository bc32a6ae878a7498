"""The offers and requests pages through Django's test client, as a browser without JavaScript uses them: posting
(and every bad input, shown beside its field with nothing written), an ad's own page (no contact details, the
other parts' includes in order), who may see what (another community gets a 404), my ads with their status
buttons, photos served only to those who may see the ad, and coordinators posting on a resident's behalf."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.test_pages import submit
from ostrom.market.actions import listings as actions
from ostrom.market.models import Category, Listing, ListingStatus
from ostrom.market.tests import test_listings_actions as listing_fixtures
from ostrom.market.tests.factories import CategoryFactory, ListingFactory
from ostrom.market.tests.test_listings_actions import picture, snapshot, upload

PROBLEM = "There is a problem"


# The listings tests' shared fixtures, named here for pytest to find.
credits = listing_fixtures.credits
media = listing_fixtures.media
pat = listing_fixtures.pat


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def text(response) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(words.split()).replace("’", "'")


def url(name, community, *args) -> str:
    return reverse(name, args=[community.slug, *args])


def form_post(**values) -> dict:
    return {
        "kind": "offer",
        "title": "Help with the garden",
        "description": "Weeding, mowing and planting on weekend mornings.",
        "tags": "gardening, hedges",
        "place_name": "Mill Lane",
        "availability": ["weekends"],
        "estimated_minutes": "1:30",
        **values,
    }


# --- Posting --------------------------------------------------------------------------------------------------------


def test_mina_offers_help_with_a_plain_form_and_lands_on_her_ad(member, community, gardening):
    client = as_(member)
    response = submit(
        client, url("market_listing_new", community),
        {"title": "Help with the garden", "description": "Weeding and mowing on weekend mornings.",
         "category": str(gardening.pk), "tags": "Gardening, hedges", "estimated_minutes": "1:30"},
        follow=True,
    )  # fmt: skip

    listing = Listing.objects.get()
    assert response.redirect_chain[-1][0] == url("market_listing", community, listing.pk)
    assert (listing.status, listing.kind, listing.estimated_minutes) == (ListingStatus.ACTIVE, "offer", 90)
    assert listing.tags == ["gardening", "hedges"]
    assert f"Your offer is published as number {listing.pk}." in text(response)


def test_the_new_ad_page_installs_the_default_categories(member, community):
    response = as_(member).get(url("market_listing_new", community))
    assert response.status_code == 200
    assert Category.objects.filter(community=community, slug="gardening").exists()
    assert "Home and garden" in response.content.decode()


def test_asking_for_help_starts_with_request_chosen(member, community, gardening):
    page = as_(member).get(url("market_listing_new", community) + "?kind=request").content.decode()
    assert re.search(r'value="request"[^>]*checked', page)


def test_save_as_a_draft_keeps_it_to_herself(member, community, gardening):
    as_(member).post(url("market_listing_new", community), form_post(category=gardening.pk, draft="1"))
    assert Listing.objects.get().status == ListingStatus.DRAFT


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": ""}, "Enter a title"),
        ({"title": "x" * 121}, "Keep the title to 120 characters"),
        ({"description": "Short"}, "Say a little more"),
        ({"description": "y" * 4001}, "Keep the description to 4,000 characters"),
        ({"expires_at": "2001-01-01"}, "Choose an end date in the future."),
        ({"expires_at": "not a date"}, "Enter a date like 2026-06-30."),
        ({"category": "999999"}, "Choose a category from the list."),
        ({"category": ""}, "Choose a category"),
        ({"tags": "c++"}, "Use only letters, numbers, spaces and hyphens in tags"),
        ({"estimated_minutes": "a while"}, "Write how long like 1:30"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_nothing_is_written(member, community, gardening, values, message):
    before = snapshot()
    response = as_(member).post(url("market_listing_new", community), form_post(**{"category": gardening.pk, **values}))

    assert response.status_code == 400
    page = text(response)
    assert PROBLEM in page and message in page
    assert snapshot() == before


def test_a_far_off_end_date_is_refused(member, community, gardening):
    far = (timezone.localdate() + timedelta(days=200)).isoformat()
    response = as_(member).post(url("market_listing_new", community), form_post(category=gardening.pk, expires_at=far))
    assert response.status_code == 400 and "within 180 days" in text(response)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 a program, not a picture", "cat.jpg", "The photo must be a JPEG, PNG or WebP picture."),
        (b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024), "huge.jpg", "choose one of at most 5 MB"),
    ],
)
def test_a_bad_photo_is_refused_beside_the_photo_field(member, community, gardening, media, content, name, message):
    before = snapshot(media)
    response = as_(member).post(
        url("market_listing_new", community), form_post(category=gardening.pk, photo=upload(content, name))
    )
    assert response.status_code == 400 and message in text(response)
    assert snapshot(media) == before


def test_a_photo_is_kept_and_served_only_to_those_who_see_the_ad(member, coordinator, outsider, community, gardening):
    as_(member).post(url("market_listing_new", community), form_post(category=gardening.pk, photo=upload(picture())))
    listing = Listing.objects.get()
    photo_url = url("market_listing_photo", community, listing.pk)

    response = as_(coordinator).get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "private" in response["Cache-Control"]
    assert as_(outsider).get(photo_url).status_code == 403
    assert as_(None).get(photo_url).status_code == 302

    actions.pause_listing(member, listing)
    assert as_(coordinator).get(photo_url).status_code == 200
    other = ListingFactory(community=community, category=gardening)
    assert as_(other.member).get(photo_url).status_code == 404
    assert as_(member).get(url("market_listing_photo", community, other.pk)).status_code == 404


def test_a_member_sees_no_price_field_and_a_price_sent_anyway_is_ignored(member, community, gardening, credits):
    page = as_(member).get(url("market_listing_new", community)).content.decode()
    assert 'name="price_amount"' not in page and 'name="organisation"' not in page

    as_(member).post(
        url("market_listing_new", community),
        form_post(category=gardening.pk, price_amount="5", price_currency=credits.pk),
    )
    assert Listing.objects.get().price_amount is None


def test_council_staff_post_a_priced_offer_for_the_council(staff, organisation, community, gardening, credits):
    client = as_(staff)
    page = client.get(url("market_listing_new", community)).content.decode()
    assert 'name="price_amount"' in page and "Riverside Council" in page

    response = client.post(
        url("market_listing_new", community),
        form_post(category=gardening.pk, title="Swimming session", organisation=organisation.pk, price_amount="1",
                  price_currency=credits.pk),
    )  # fmt: skip

    assert response.status_code == 302
    swim = Listing.objects.get()
    assert (swim.organisation, swim.price_amount, swim.price_currency) == (organisation, 100, credits)
    detail = text(as_(staff).get(url("market_listing", community, swim.pk)))
    assert "Offered by Riverside Council" in detail and "1.00 LC" in detail


def test_a_price_on_a_request_is_refused_beside_the_price(staff, organisation, community, gardening, credits):
    response = as_(staff).post(
        url("market_listing_new", community),
        form_post(category=gardening.pk, kind="request", organisation=organisation.pk, price_amount="1",
                  price_currency=credits.pk),
    )  # fmt: skip
    assert response.status_code == 400 and "Only an organisation's offer can have a price" in text(response)
    assert not Listing.objects.exists()


def test_my_area_is_offered_only_when_my_profile_has_one(member, community, gardening):
    client = as_(member)
    assert 'name="use_my_area"' not in client.get(url("market_listing_new", community)).content.decode()
    member.latitude, member.longitude = 53.8, -1.549
    member.save()
    client.post(url("market_listing_new", community), form_post(category=gardening.pk, use_my_area="on"))
    listing = Listing.objects.get()
    assert (float(listing.latitude), float(listing.longitude)) == (53.8, -1.549)


# --- An ad's page ---------------------------------------------------------------------------------------------------


def test_an_ad_shows_what_where_and_when_and_the_posters_name_but_no_contact_details(
    member, coordinator, community, gardening
):
    member.user.phone = "+447700900101"
    member.user.save()
    listing = actions.create_listing(
        member, kind="offer", title="Help with the garden", description="Weeding, mowing and planting.",
        category=gardening, tags="hedges, weeding", place_name="Mill Lane", availability=["weekends"],
        remote_ok=True, estimated_minutes=90,
    )  # fmt: skip

    response = as_(coordinator).get(url("market_listing", community, listing.pk))

    page = text(response)
    for shown in ("Help with the garden", "Weeding, mowing and planting.", "Gardening", "hedges", "weeding",
                  "Mill Lane", "Weekends", "it can be done remotely", "1 h 30 min", "Offered by Mina"):  # fmt: skip
        assert shown in page, shown
    assert "mina@example.org" not in page and "7700" not in page


def test_the_ad_page_includes_contact_matches_and_report_in_that_order(member, coordinator, community, minas_offer):
    response = as_(coordinator).get(url("market_listing", community, minas_offer.pk))
    names = [t.name for t in response.templates]
    includes = [n for n in names if n.startswith("market/includes/listing_")]
    assert includes[:3] == [
        "market/includes/listing_contact.html",
        "market/includes/listing_matches.html",
        "market/includes/listing_report.html",
    ]
    assert response.context["viewer"] == coordinator and response.context["listing"] == minas_offer


def test_another_community_cannot_see_an_ad(member, outsider, community, other_community, minas_offer):
    assert as_(outsider).get(url("market_listing", other_community, minas_offer.pk)).status_code == 404
    assert as_(outsider).get(url("market_listing", community, minas_offer.pk)).status_code == 403
    hillside = ListingFactory(
        community=other_community, member=outsider, category=CategoryFactory(community=other_community)
    )
    assert as_(member).get(url("market_listing", community, hillside.pk)).status_code == 404


def test_drafts_and_hidden_ads_are_for_their_poster_and_coordinators(member, coordinator, community, gardening):
    neighbour = ListingFactory(community=community, category=gardening).member
    draft = actions.create_listing(
        member, publish=False, kind="offer", title="Draft help", description="Not ready to show yet.",
        category=gardening,
    )  # fmt: skip
    hidden = ListingFactory(community=community, member=member, category=gardening, hidden_at=timezone.now(),
                            hidden_reason="Asked for money")  # fmt: skip

    for listing in (draft, hidden):
        assert as_(neighbour).get(url("market_listing", community, listing.pk)).status_code == 404
        assert as_(member).get(url("market_listing", community, listing.pk)).status_code == 200
        assert as_(coordinator).get(url("market_listing", community, listing.pk)).status_code == 200
    assert "A coordinator hid this: Asked for money" in text(
        as_(member).get(url("market_listing", community, hidden.pk))
    )


def test_an_ad_by_a_member_who_left_is_not_shown(member, community, minas_offer):
    neighbour = ListingFactory(community=community, category=minas_offer.category).member
    member.status = "left"
    member.save()
    assert as_(neighbour).get(url("market_listing", community, minas_offer.pk)).status_code == 404


# --- My ads and their buttons ---------------------------------------------------------------------------------------


def test_my_ads_lists_each_state_with_its_buttons(member, community, gardening):
    showing = ListingFactory(community=community, member=member, category=gardening, title="Showing one",
                             expires_at=timezone.now() + timedelta(days=5))  # fmt: skip
    ListingFactory(community=community, member=member, category=gardening, title="Paused one",
                   status=ListingStatus.PAUSED)  # fmt: skip
    ListingFactory(community=community, category=gardening, title="Someone else's")

    response = as_(member).get(url("market_my_listings", community))

    page = text(response)
    assert "Showing Showing one" in page and "Paused Paused one" in page
    assert "Someone else's" not in page
    actions_url = url("market_listing_status", community, showing.pk)
    assert f'action="{actions_url}"' in response.content.decode()


def test_mina_pauses_renews_and_closes_from_her_list_without_javascript(member, community, minas_offer):
    client = as_(member)
    mine = url("market_my_listings", community)
    status = url("market_listing_status", community, minas_offer.pk)

    response = client.post(status, {"action": "pause", "next": mine}, follow=True)
    assert response.redirect_chain[-1][0] == mine
    assert "is paused" in text(response)
    client.post(status, {"action": "renew"})
    minas_offer.refresh_from_db()
    assert minas_offer.status == ListingStatus.ACTIVE and minas_offer.expires_at > timezone.now()
    client.post(status, {"action": "close"})
    assert Listing.objects.get(pk=minas_offer.pk).status == ListingStatus.CLOSED


def test_a_status_change_the_state_does_not_allow_is_explained(member, community, minas_offer):
    response = as_(member).post(
        url("market_listing_status", community, minas_offer.pk), {"action": "resume"}, follow=True
    )
    assert "Not changed: This ad is showing, so it cannot be resumed." in text(response)


def test_another_member_cannot_change_minas_ad(member, staff, community, minas_offer):
    response = as_(staff).post(
        url("market_listing_status", community, minas_offer.pk), {"action": "close"}, follow=True
    )
    assert "Not changed" in text(response)
    assert Listing.objects.get(pk=minas_offer.pk).status == ListingStatus.ACTIVE
    assert as_(staff).get(url("market_listing_edit", community, minas_offer.pk)).status_code == 403


def test_a_redirect_after_a_status_change_never_leaves_the_site(member, community, minas_offer):
    response = as_(member).post(
        url("market_listing_status", community, minas_offer.pk), {"action": "pause", "next": "https://evil.example/"}
    )
    assert response["Location"] == url("market_my_listings", community)


def test_mina_edits_her_ad(member, community, minas_offer):
    response = submit(
        as_(member), url("market_listing_edit", community, minas_offer.pk),
        # The form reader does not read a textarea's text, which a browser would send back unchanged.
        {"title": "Garden and hedge help", "tags": "hedges", "description": minas_offer.description},
    )  # fmt: skip
    assert response.status_code == 302
    minas_offer.refresh_from_db()
    assert (minas_offer.title, minas_offer.tags) == ("Garden and hedge help", ["hedges"])
    assert minas_offer.description == "Weeding and planting on weekend mornings."


# --- On behalf ------------------------------------------------------------------------------------------------------


def test_cora_posts_for_pat_from_a_paper_form(coordinator, pat, community, gardening):
    response = as_(coordinator).post(
        url("market_listing_on_behalf", community),
        form_post(category=gardening.pk, member=pat.pk, reason="Paper form at the library", title="Knitting lessons"),
        follow=True,
    )

    listing = Listing.objects.get()
    assert (listing.member, listing.posted_by) == (pat, coordinator)
    assert "You posted Pat Price's offer" in text(response)
    assert AuditEntry.objects.filter(action="market.listing_posted_on_behalf", member=pat).exists()


def test_posting_on_behalf_asks_how_they_asked(coordinator, pat, community, gardening):
    response = as_(coordinator).post(
        url("market_listing_on_behalf", community), form_post(category=gardening.pk, member=pat.pk, reason="")
    )
    assert response.status_code == 400 and "Say how they asked." in text(response)
    assert not Listing.objects.exists()


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_post_on_behalf(request, community, persona):
    who = request.getfixturevalue(persona)
    assert as_(who).get(url("market_listing_on_behalf", community)).status_code == 403


def test_an_expired_ad_can_be_edited_without_touching_its_end_date(member, community, gardening):
    listing = ListingFactory(community=community, member=member, category=gardening, status=ListingStatus.EXPIRED,
                             expires_at=timezone.now() - timedelta(days=3))  # fmt: skip
    response = submit(
        as_(member), url("market_listing_edit", community, listing.pk),
        {"title": "Still gardening", "description": listing.description},
    )  # fmt: skip
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Still gardening" and listing.expires_at < timezone.now()
