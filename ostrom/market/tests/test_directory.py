"""The printable directory: Riverside's current offers grouped by category, as a PDF for the library. WeasyPrint
compresses its text, so the words are checked in the HTML it printed from, and the PDF by its magic bytes and
page count. Nobody's phone number or email is ever printed; residents who use only a phone are reached through a
coordinator."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.market import directory
from ostrom.market.actions.categories import create_category
from ostrom.market.models import ListingKind, ListingStatus
from ostrom.market.tests import test_listings_actions as listing_fixtures
from ostrom.market.tests.factories import CategoryFactory, ListingFactory

# The listings tests' shared fixtures, named here for pytest to find.
credits = listing_fixtures.credits


@pytest.fixture
def pat(community):
    """A resident who uses only a phone."""
    return MemberFactory(
        community=community,
        display_name="Pat Price",
        user=UserFactory(full_name="Pat Price", email=None, phone="+447700900155"),
    )


@pytest.fixture
def offers(community, member, coordinator, pat, gardening):
    """Mina's gardening offer, Pat's knitting lessons, and what must not be printed."""
    learning = create_category(coordinator, "Learning")
    knitting = create_category(coordinator, "Knitting", learning)
    return {
        "mina": ListingFactory(community=community, member=member, category=gardening, title="Hedge trimming",
                               place_name="Mill Lane", availability=["weekends"]),
        "pat": ListingFactory(community=community, member=pat, category=knitting, title="Knitting lessons"),
        "request": ListingFactory(community=community, member=member, category=gardening, kind=ListingKind.REQUEST,
                                  title="Need a wheelbarrow"),
        "paused": ListingFactory(community=community, member=member, category=gardening, title="Paused mowing",
                                 status=ListingStatus.PAUSED),
        "hidden": ListingFactory(community=community, member=member, category=gardening, title="Hidden thing",
                                 hidden_at=timezone.now()),
        "draft": ListingFactory(community=community, member=member, category=gardening, title="Draft thing",
                                status=ListingStatus.DRAFT, published_at=None),
    }  # fmt: skip


def test_the_directory_lists_current_offers_by_category_in_a_real_pdf(member, offers):
    made = directory.build(member, contact="Ask at the library desk, Tuesdays 10 to 12", site="https://ostrom.test")

    assert made.pdf.startswith(b"%PDF-") and made.pdf.rstrip().endswith(b"%%EOF")
    assert made.pages >= 1 and made.offers == 2 and not made.truncated
    html = made.html
    assert html.index("<h2>Gardening</h2>") < html.index("Hedge trimming")
    assert html.index("<h2>Learning</h2>") < html.index("<h3>Knitting</h3>") < html.index("Knitting lessons")
    for absent in ("Need a wheelbarrow", "Paused mowing", "Hidden thing", "Draft thing"):
        assert absent not in html


def test_nobody_s_contact_details_are_printed(member, pat, offers):
    html = directory.build(member, contact="Ask at the library desk", site="https://ostrom.test").html

    assert "mina@example.org" not in html and "7700" not in html and "Pat Price" not in html
    assert "Offered by Pat" in html and "Offered by Mina" in html
    assert f"Answer through a coordinator: Ask at the library desk, offer number {offers['pat'].pk}" in html
    assert f"Answer online: https://ostrom.test/c/riverside/market/listings/{offers['mina'].pk}/" in html


def test_members_who_prefer_a_coordinator_are_reached_through_one(member, offers):
    member.contact_preferences = ["coordinator"]
    member.save()
    html = directory.build(member, site="https://ostrom.test").html
    assert (
        f"Answer through a coordinator: a coordinator of Riverside Timebank, offer number {offers['mina'].pk}" in html
    )


def test_one_top_level_category_can_be_printed_alone(member, offers, community):
    learning = community.market_categories.get(slug="learning")
    html = directory.build(member, category=learning.pk).html
    assert "Knitting lessons" in html and "Hedge trimming" not in html


def test_a_long_directory_says_it_is_cut(member, community, gardening, monkeypatch):
    monkeypatch.setattr(directory, "MAX_ENTRIES", 2)
    for number in range(3):
        ListingFactory(community=community, category=gardening, title=f"Offer {number}")
    made = directory.build(member)
    assert made.truncated and made.offers == 2
    assert "Only the 2 newest are printed" in made.html


def test_another_communitys_offers_are_not_printed(member, outsider, other_community):
    ListingFactory(community=other_community, member=outsider, category=CategoryFactory(community=other_community),
                   title="Hillside bike repairs")  # fmt: skip
    made = directory.build(member)
    assert "Hillside bike repairs" not in made.html and made.offers == 0
    assert "There are no offers showing at the moment." in made.html


def test_what_members_write_is_printed_as_text_not_markup(member, community, gardening):
    ListingFactory(community=community, category=gardening, title='<img src="http://example.org/x.png"> Lawns')
    made = directory.build(member)
    assert "&lt;img" in made.html and '<img src="http' not in made.html
    assert made.pdf.startswith(b"%PDF-")


def test_a_partners_price_is_printed(staff, organisation, community, gardening, credits):
    ListingFactory(community=community, member=staff, organisation=organisation, category=gardening,
                   title="Swimming session", price_amount=100, price_currency=credits)  # fmt: skip
    html = directory.build(staff).html
    assert "Offered by Riverside Council" in html and "price 1.00 LC" in html


# --- The pages ------------------------------------------------------------------------------------------------------


def as_(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_a_member_downloads_the_pdf(member, community, offers):
    page = as_(member).get(reverse("market_directory", args=[community.slug]))
    assert page.status_code == 200
    assert reverse("market_directory_pdf", args=[community.slug]) in page.content.decode()

    response = as_(member).get(reverse("market_directory_pdf", args=[community.slug]), {"contact": "Library desk"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="riverside-offers.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")


def test_a_too_long_contact_is_refused_on_the_page(member, community):
    response = as_(member).get(reverse("market_directory_pdf", args=[community.slug]), {"contact": "x" * 201})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()


def test_outsiders_cannot_print_riversides_directory(outsider, community):
    assert as_(outsider).get(reverse("market_directory_pdf", args=[community.slug])).status_code == 403
    assert Client().get(reverse("market_directory_pdf", args=[community.slug])).status_code == 302


@pytest.mark.parametrize(
    ("display_name", "printed"),
    [("Pat Price", "Pat"), ("Mrs Jones", "Mrs J."), ("Dr. Ada Lovelace", "Dr. A."), ("Sam", "Sam"), ("", "A member")],
)
def test_people_are_printed_by_first_name(display_name, printed):
    assert directory.first_name(display_name) == printed
