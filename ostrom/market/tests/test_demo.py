"""The marketplace's part of the Millbrook demo: a lively marketplace, built through the real actions, that the
personas can act on, that keeps the ledger sound, and that resets to the same story."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ostrom.communities import demo
from ostrom.communities.models import AuditEntry, Member
from ostrom.ledger import verify
from ostrom.ledger.models import Account, AccountKind, Transfer
from ostrom.market.access.exchanges import disputed_exchanges, steps_for
from ostrom.market.access.listings import own_listings, visible_listings
from ostrom.market.access.moderation import open_reports
from ostrom.market.access.volunteering import hours_given_by_staff
from ostrom.market.actions import exchanges
from ostrom.market.domain.exchanges import Step
from ostrom.market.matches import requests_for_helper, suggest_helpers
from ostrom.market.models import (
    ApplicationStatus,
    Category,
    Event,
    Exchange,
    ExchangeStatus,
    Listing,
    ListingKind,
    ListingStatus,
    RsvpStatus,
    VolunteerApplication,
    VolunteerLog,
    VolunteerPledge,
    VolunteerRole,
)
from ostrom.market.notices.exchanges import when as spoken_time
from ostrom.notify.models import Message, MessageStatus

RIVERSIDE, NORTHGATE = "riverside-timebank", "northgate"


@pytest.fixture(scope="module")
def millbrook(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for this module (it takes a couple of seconds) and rolled back after it. Each
    test runs in a savepoint inside, so tests that act on the demo or reset it leave the next one the same town."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--if-empty", verbosity=0)
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("millbrook")]


def persona(slug: str, **who: str) -> Member:
    return Member.objects.select_related("user", "community").get(community__slug=slug, **who)


def amara() -> Member:
    return persona(RIVERSIDE, user__email="amara@example.org")


def colin() -> Member:
    return persona(RIVERSIDE, user__email="colin@example.org")


def ads(slug: str, kind: str, status: str = ListingStatus.ACTIVE):
    return Listing.objects.filter(community__slug=slug, kind=kind, status=status)


def fingerprint() -> dict[str, list[tuple]]:
    """What the seed decides about the marketplace, without ids, timestamps, codes or keys."""
    listings = Listing.objects.select_related("community", "member", "category", "posted_by", "organisation")
    return {
        "listings": sorted(
            (ad.community.slug, ad.kind, ad.status, ad.title, ad.description, ad.member.display_name, tuple(ad.tags),
             ad.category.slug, ad.place_name, str(ad.latitude), str(ad.longitude), tuple(ad.availability),
             ad.remote_ok, ad.estimated_minutes, ad.posted_by.display_name if ad.posted_by else "",
             ad.organisation.name if ad.organisation else "", ad.price_amount, ad.hidden_at is None)
            for ad in listings
        ),
        "exchanges": sorted(
            (x.what, x.status, x.amount, x.giver.display_name, x.receiver.display_name, x.thanks_note,
             tuple(x.messages.order_by("created_at", "pk").values_list("body", flat=True)))
            for x in Exchange.objects.select_related("giver", "receiver")
        ),
        "events": sorted(
            (e.title, e.capacity, e.going_count, tuple(sorted(e.rsvps.values_list("member__display_name", "status"))),
             e.attendance.count())
            for e in Event.objects.all()
        ),
        "volunteering": sorted(
            (r.title, r.status, tuple(sorted(r.applications.values_list("member__display_name", "status"))),
             r.logs.aggregate(minutes=Sum("minutes"))["minutes"])
            for r in VolunteerRole.objects.all()
        ),
    }  # fmt: skip


def test_riverside_has_a_lively_marketplace_of_offers_and_requests():
    offers, requests = ads(RIVERSIDE, ListingKind.OFFER), ads(RIVERSIDE, ListingKind.REQUEST)

    assert 30 <= offers.count() <= 40
    assert 12 <= requests.count() <= 18
    active = Listing.objects.filter(community__slug=RIVERSIDE, status=ListingStatus.ACTIVE)
    assert active.values("member").distinct().count() >= 15  # from many neighbours, not a few
    assert active.values("category").distinct().count() >= 12
    assert active.filter(remote_ok=True).exists()
    assert all(ad.tags and ad.availability and ad.latitude is not None and ad.place_name for ad in active)
    statuses = Counter(Listing.objects.filter(community__slug=RIVERSIDE).values_list("status", flat=True))
    assert statuses[ListingStatus.DRAFT] >= 2
    assert statuses[ListingStatus.PAUSED] == 1
    assert statuses[ListingStatus.EXPIRED] == 1
    assert Category.objects.filter(community__slug__in=demo.DEMO_SLUGS).values("community").distinct().count() == 3


def test_listing_places_are_near_the_people_who_posted_them():
    for ad in Listing.objects.filter(community__slug=RIVERSIDE).select_related("member"):
        if ad.member.latitude is not None:
            assert (ad.latitude, ad.longitude) == (ad.member.latitude, ad.member.longitude)
        else:  # within a couple of kilometres of the middle of Riverside
            latitude, longitude = (Decimal(degrees) for degrees in demo.RIVERSIDE.centre)
            assert abs(ad.latitude - latitude) <= Decimal("0.02") and abs(ad.longitude - longitude) <= Decimal("0.02")


def test_a_coordinator_posted_for_a_resident_who_has_only_a_phone():
    ad = Listing.objects.get(community__slug=RIVERSIDE, posted_by=colin())

    assert ad.member.user.email is None and ad.member.user.phone
    assert ad.status == ListingStatus.ACTIVE
    entry = AuditEntry.objects.get(action="market.listing_posted_on_behalf", member=ad.member)
    assert "drop-in" in entry.reason


def test_amara_sees_her_neighbours_ads_and_her_own_offer_request_and_draft():
    her = amara()

    assert visible_listings(her).exclude(member=her).count() >= 40
    own = Counter((ad.kind, ad.status) for ad in own_listings(her))
    assert own == {
        (ListingKind.OFFER, ListingStatus.ACTIVE): 1,
        (ListingKind.REQUEST, ListingStatus.ACTIVE): 1,
        (ListingKind.OFFER, ListingStatus.DRAFT): 1,
    }


def test_amaras_request_has_good_suggested_helpers_and_she_sees_requests_she_could_help_with():
    shelves = own_listings(amara()).get(kind=ListingKind.REQUEST, status=ListingStatus.ACTIVE)

    helpers = suggest_helpers(shelves)

    assert len(helpers) >= 4
    assert helpers[0].listing is not None and "diy" in helpers[0].listing.tags
    assert len(helpers[0].reasons) >= 2
    assert len({match.member.pk for match in helpers}) == len(helpers)
    fitting = requests_for_helper(amara())
    assert any(match.reasons and {"gardening", "english conversation"} & set(match.listing.tags) for match in fitting)


def test_amara_has_an_exchange_in_every_state():
    mine = Exchange.objects.filter(community__slug=RIVERSIDE).filter(giver=amara()) | Exchange.objects.filter(
        receiver=amara()
    )

    assert set(mine.values_list("status", flat=True)) == set(ExchangeStatus.values)
    assert mine.filter(status=ExchangeStatus.CONFIRMED).count() >= 3
    assert mine.filter(status=ExchangeStatus.CONFIRMED, giver=amara()).exists()  # she gives as well as receives
    assert mine.filter(status=ExchangeStatus.CONFIRMED, receiver=amara()).exists()
    for confirmed in mine.filter(status=ExchangeStatus.CONFIRMED):
        assert confirmed.thanks_note
        assert confirmed.transfer.amount == confirmed.amount
    talking = mine.get(status=ExchangeStatus.ENQUIRY)
    assert talking.messages.filter(author__isnull=False).count() >= 3
    assert Step.ACCEPT in steps_for(amara(), talking)  # terms proposed, waiting for her
    agreed = mine.get(status=ExchangeStatus.AGREED)
    assert agreed.contact_shared and agreed.scheduled_for > timezone.now()


def test_one_exchange_waits_for_amaras_confirmation_and_confirming_pays_from_her_hours():
    her = amara()
    waiting = Exchange.objects.get(receiver=her, status=ExchangeStatus.DONE)
    assert Step.CONFIRM in steps_for(her, waiting)
    account = Account.objects.get(member=her, currency=waiting.currency)
    before = account.balance

    exchanges.confirm(her, waiting)

    account.refresh_from_db()
    assert account.balance == before - waiting.amount
    assert verify.verify_ledger() == []


def test_a_disputed_exchange_waits_for_colin_and_he_can_settle_it():
    coordinator = colin()
    [disputed] = disputed_exchanges(coordinator)
    assert coordinator.pk not in (disputed.giver_id, disputed.receiver_id)
    assert amara().pk in (disputed.giver_id, disputed.receiver_id)
    assert Step.RESOLVE in steps_for(coordinator, disputed)

    exchanges.resolve(coordinator, disputed, confirm_it=False, note="The lift never came; nothing is owed.")

    assert Exchange.objects.get(pk=disputed.pk).status == ExchangeStatus.CANCELLED


def test_colins_moderation_queue_has_a_spammy_ad_reported_by_a_neighbour():
    [report] = open_reports(colin())

    assert report.reason == "spam"
    assert report.listing.is_visible  # still showing until a coordinator decides
    assert report.reporter.pk != report.about_id
    assert "!!!" in report.listing.title


def test_the_ledger_verifies_clean_and_every_transfer_belongs_to_an_exchange_or_a_volunteer_log():
    assert verify.verify_ledger() == []
    for exchange in Exchange.objects.filter(status=ExchangeStatus.CONFIRMED).select_related("transfer"):
        assert exchange.transfer.amount == exchange.amount
        assert exchange.transfer.created_at == exchange.confirmed_at
    issuance = Account.objects.get(community__slug=NORTHGATE, currency__code="hours", kind=AccountKind.ISSUANCE)
    logs = VolunteerLog.objects.filter(community__slug=NORTHGATE)
    assert logs.count() >= 10
    assert all(log.transfer.debit_account_id == issuance.pk for log in logs.select_related("transfer"))
    assert issuance.balance == -logs.aggregate(minutes=Sum("minutes"))["minutes"]


def test_the_council_posts_roles_takes_volunteers_and_sees_its_pledge_met_in_part():
    priya = persona(NORTHGATE, user__email="priya@example.org")
    council = priya.organisation
    roles = VolunteerRole.objects.filter(organisation=council)

    titles = " ".join(roles.values_list("title", flat=True)).lower()
    assert all(word in titles for word in ("befriender", "governor", "garden"))
    assert VolunteerApplication.objects.filter(role__in=roles, status=ApplicationStatus.ACCEPTED).count() >= 4
    assert VolunteerApplication.objects.filter(role__in=roles, status=ApplicationStatus.APPLIED).exists()
    assert roles.filter(status="filled").exists()
    year = timezone.localdate().year
    pledge = VolunteerPledge.objects.get(employer=council, year=year)
    given, people = hours_given_by_staff(council, year)
    assert 0 < given < pledge.minutes_pledged
    assert people[0][0] == priya.display_name


def test_the_council_sells_a_swim_for_one_northgate_credit_and_someone_bought_one():
    swim = Listing.objects.get(community__slug=NORTHGATE, title__icontains="swimming")

    assert swim.organisation.name == "Millbrook Borough Council"
    assert swim.price_currency.code == "credits" and swim.price_amount == swim.price_currency.scale
    bought = Exchange.objects.get(listing=swim, status=ExchangeStatus.CONFIRMED)
    assert Transfer.objects.get(pk=bought.transfer_id).credit_account_id == (
        Account.objects.get(currency=swim.price_currency, organisation=swim.organisation).pk
    )


def test_gwen_posted_an_offer_and_a_request_by_text_and_a_coordinator_filed_the_offer():
    gwen = persona(NORTHGATE, user__phone="+447700900123")
    hers = Listing.objects.filter(member=gwen, posted_by__isnull=True, status=ListingStatus.ACTIVE)

    assert set(hers.values_list("kind", flat=True)) == {ListingKind.OFFER, ListingKind.REQUEST}
    offer = hers.get(kind=ListingKind.OFFER)
    assert offer.category.slug == "cooking-and-baking" and "Welsh cakes" in offer.description
    assert AuditEntry.objects.filter(action="market.listing_changed_for_member", member=gwen).exists()
    assert ads(NORTHGATE, ListingKind.OFFER).count() >= 8
    assert ads(NORTHGATE, ListingKind.REQUEST).count() >= 3


def test_events_to_come_have_answers_one_has_a_waiting_list_and_past_ones_a_register():
    now = timezone.now()
    for slug in (RIVERSIDE, NORTHGATE):
        coming = Event.objects.filter(community__slug=slug, starts_at__gt=now)
        past = Event.objects.filter(community__slug=slug, starts_at__lt=now)
        assert coming.count() >= 2 and all(event.going_count for event in coming)
        assert past.exists() and all(event.attendance.filter(member__isnull=False).exists() for event in past)
    full = Event.objects.get(rsvps__status=RsvpStatus.WAITLISTED, rsvps__member=amara())
    assert full.going_count == full.capacity
    assert full.rsvps.filter(status=RsvpStatus.WAITLISTED).count() >= 2


def test_the_story_happened_in_order_and_in_the_past():
    now = timezone.now()
    for exchange in Exchange.objects.all():
        steps = [
            exchange.created_at, exchange.agreed_at, exchange.done_at, exchange.confirmed_at, exchange.thanked_at,
        ]  # fmt: skip
        taken = [moment for moment in steps if moment is not None]
        assert taken == sorted(taken) and taken[-1] < now, exchange
        if exchange.done_at and exchange.agreed_at:
            assert exchange.agreed_at < exchange.scheduled_for < exchange.done_at, exchange
            # the thread names the day the help was given, not the day it was first typed in
            assert exchange.messages.filter(body__contains=spoken_time(exchange.scheduled_for, exchange.giver))
        thread = list(exchange.messages.values_list("pk", "created_at"))
        assert thread == sorted(thread, key=lambda message: (message[1], message[0]))
    assert not Listing.objects.filter(created_at__gt=now).exists()
    market = Message.objects.filter(kind__startswith="market.")
    assert market.exists() and not market.exclude(status=MessageStatus.SENT).exists()  # nothing stale to send


def test_resetting_twice_builds_the_same_marketplace_and_leaves_a_sound_ledger():
    first = fingerprint()

    call_command("demo", "--reset", verbosity=0)
    call_command("demo", "--reset", verbosity=0)

    assert fingerprint() == first
    assert verify.verify_ledger() == []
    assert Listing.objects.filter(community__slug=RIVERSIDE).count() == len(
        [row for row in first["listings"] if row[0] == RIVERSIDE]
    )
