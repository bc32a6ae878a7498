"""The exchange pages through Django's test client, as a browser without JavaScript uses them: the "Contact"
form on a listing, the exchange page with its thread, terms and buttons, the pages that ask why, and who may
open what. A refused form shows its error beside the field and writes nothing."""

import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from ostrom.communities.tests.test_pages import FormReader
from ostrom.ledger.models import Transfer
from ostrom.market.actions import exchanges as actions
from ostrom.market.models import Exchange, ExchangeStatus
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.test_exchange_cast import FIRST_MESSAGE, HOUR, balance, everything, fresh, soon

hours, colin, tess = cast.hours, cast.colin, cast.tess
enquiry, agreed, done = cast.enquiry, cast.agreed, cast.done
PROBLEM = "There is a problem"


def as_(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def page_of(exchange, name: str = "market_exchange", slug: str = "riverside") -> str:
    return reverse(name, kwargs={"slug": slug, "exchange_id": exchange.pk})


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def post_forms(response) -> list[dict]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return [form for form in reader.forms if form["method"].lower() == "post"]


def terms(currency, **changes) -> dict:
    when = soon()
    return {
        "what": "Weeding the front garden", "day": when.date().isoformat(), "at": "10:00", "currency": currency.pk,
        "hours": "2", "minutes": "0", **changes,
    }  # fmt: skip


# --- Contact ------------------------------------------------------------------------------------------------------


def test_colin_contacts_mina_from_her_offers_page(minas_offer, colin, hours):
    listing_page = as_(colin).get(reverse("market_listing", kwargs={"slug": "riverside", "listing_id": minas_offer.pk}))
    contact_url = reverse("market_exchange_start", kwargs={"slug": "riverside", "listing_id": minas_offer.pk})
    assert "Contact Mina" in text(listing_page)
    assert contact_url in [form["action"] for form in post_forms(listing_page)]

    response = as_(colin).post(contact_url, {"body": FIRST_MESSAGE}, follow=True)

    exchange = Exchange.objects.get()
    assert response.redirect_chain[-1][0] == page_of(exchange)
    assert "Message sent to Mina." in text(response)
    assert FIRST_MESSAGE in text(response)


def test_the_contact_form_is_shown_to_others_not_to_the_poster(minas_offer, member, colin, community):
    def rendered(viewer) -> str:
        return render_to_string(
            "market/includes/listing_contact.html", {"listing": minas_offer, "viewer": viewer, "community": community}
        )

    assert "Contact Mina" in rendered(colin)
    assert 'name="body"' in rendered(colin) and '<label for="id_contact_body">' in rendered(colin)
    assert rendered(member).strip() == ""
    assert rendered(None).strip() == ""


def test_an_empty_first_message_is_shown_beside_the_field_and_writes_nothing(minas_offer, colin):
    before = everything()

    response = as_(colin).post(
        reverse("market_exchange_start", kwargs={"slug": "riverside", "listing_id": minas_offer.pk}), {"body": "  "}
    )

    assert response.status_code == 400
    assert PROBLEM in text(response) and "Write a message first." in text(response)
    assert everything() == before


def test_contacting_your_own_offer_is_refused_in_words(minas_offer, member):
    response = as_(member).post(
        reverse("market_exchange_start", kwargs={"slug": "riverside", "listing_id": minas_offer.pk}), {"body": "Hi"}
    )

    assert response.status_code == 400
    assert "you can't agree one with yourself" in text(response)
    assert not Exchange.objects.exists()


# --- Who may open what --------------------------------------------------------------------------------------------


def test_the_two_people_and_the_coordinators_see_an_exchange_and_nobody_else(enquiry, member, colin, coordinator, tess):
    for persona in (member, colin, coordinator):
        assert as_(persona).get(page_of(enquiry)).status_code == 200
    assert as_(tess).get(page_of(enquiry)).status_code == 404


def test_another_communitys_member_finds_nothing(enquiry, outsider):
    assert as_(outsider).get(page_of(enquiry, slug="hillside")).status_code == 404
    assert as_(outsider).get(page_of(enquiry)).status_code == 403  # not a member of Riverside at all
    assert as_(outsider).post(page_of(enquiry, "market_exchange_confirm", slug="hillside")).status_code == 404


def test_tess_cannot_confirm_colins_exchange_through_the_page(done, tess):
    before = everything()

    assert as_(tess).post(page_of(done, "market_exchange_confirm")).status_code == 404
    assert everything() == before


# --- The flow ------------------------------------------------------------------------------------------------------


def test_the_whole_flow_through_the_pages_moves_two_hours_once(enquiry, member, colin, hours):
    mina, colins = as_(member), as_(colin)
    proposed = mina.post(page_of(enquiry, "market_exchange_terms"), terms(hours), follow=True)
    assert "Terms sent. Colin can accept them." in text(proposed)

    page = colins.get(page_of(enquiry))
    assert "Accept these terms" in text(page)
    colins.post(page_of(enquiry, "market_exchange_accept"))
    mina.post(page_of(enquiry, "market_exchange_done"))
    page = colins.get(page_of(enquiry))
    assert "Confirm and transfer 2 h" in text(page)
    assert f"You can also text YES {fresh(enquiry).confirm_code}" in text(page)
    confirmed = colins.post(page_of(enquiry, "market_exchange_confirm"), follow=True)
    again = colins.post(page_of(enquiry, "market_exchange_confirm"), follow=True)

    assert "Confirmed. The time has been transferred." in text(confirmed)
    assert "This exchange is already confirmed and the transfer made. Nothing more was done." in text(again)
    assert Transfer.objects.count() == 1
    assert (balance(member, hours), balance(colin, hours)) == (2 * HOUR, -2 * HOUR)


def test_the_time_is_read_in_the_communitys_time_zone(enquiry, member, hours):
    as_(member).post(page_of(enquiry, "market_exchange_terms"), terms(hours, at="10:00"))

    local = fresh(enquiry).scheduled_for.astimezone(ZoneInfo("Europe/London"))
    assert (local.hour, local.minute) == (10, 0)


def test_hours_and_minutes_are_kept_as_minutes(enquiry, member, hours):
    as_(member).post(page_of(enquiry, "market_exchange_terms"), terms(hours, hours="1", minutes="30"))

    assert fresh(enquiry).amount == 90


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"day": "2020-01-01"}, "That time has passed. Choose a time from now on."),
        ({"hours": "0", "minutes": "0"}, "The amount must be more than zero."),
        ({"hours": "", "minutes": ""}, "Enter how much: hours and minutes, or credits."),
        ({"minutes": "75"}, "Ensure this value is less than or equal to 59."),
        ({"what": ""}, "Enter what."),
        ({"day": "31/02/2026"}, "Enter a real date."),
    ],
)
def test_bad_terms_show_the_error_beside_the_field_and_write_nothing(enquiry, member, hours, change, error):
    before = everything()

    response = as_(member).post(page_of(enquiry, "market_exchange_terms"), terms(hours, **change))

    assert response.status_code == 400
    assert PROBLEM in text(response) and error in text(response)
    assert everything() == before


def test_an_empty_message_is_refused_beside_the_field(enquiry, colin):
    before = everything()

    response = as_(colin).post(page_of(enquiry), {"body": ""})

    assert response.status_code == 400 and "Write a message first." in text(response)
    assert everything() == before


def test_a_message_goes_into_the_thread(enquiry, colin):
    response = as_(colin).post(page_of(enquiry), {"body": "Saturday at ten suits me."}, follow=True)

    assert "Saturday at ten suits me." in text(response)


def test_my_exchanges_lists_what_goes_on_and_what_is_past(enquiry, done, member, minas_offer, tess):
    other = actions.start(tess, minas_offer, "Could you help me too?").exchange
    actions.cancel(tess, other, "Sorted")

    page = text(as_(member).get(reverse("market_exchanges", kwargs={"slug": "riverside"})))

    going_on, past = page.split(" Past ")
    assert "Weeding the front garden" in going_on and "Colin receives" in going_on
    assert "Gardening help" in past and "Tess receives" in past and "Cancelled" in past


def test_contact_details_show_only_once_both_share(enquiry, member, colin):
    as_(colin).post(page_of(enquiry, "market_exchange_share"), {"share": "on"})
    assert "colin@example.org" not in text(as_(member).get(page_of(enquiry)))

    as_(member).post(page_of(enquiry, "market_exchange_share"), {"share": "on"})

    assert "colin@example.org" in text(as_(member).get(page_of(enquiry)))
    assert "mina@example.org" in text(as_(colin).get(page_of(enquiry)))
    as_(member).post(page_of(enquiry, "market_exchange_share"), {})
    assert "mina@example.org" not in text(as_(colin).get(page_of(enquiry)))


def test_cancelling_asks_why_first(agreed, colin):
    url = page_of(agreed, "market_exchange_cancel")
    before = everything()
    empty = as_(colin).post(url, {"reason": ""})
    assert empty.status_code == 400 and "Say why." in text(empty)
    assert everything() == before

    as_(colin).post(url, {"reason": "I found someone nearer"})

    assert fresh(agreed).status == ExchangeStatus.CANCELLED


def test_a_thank_you_note_after_confirmation(done, member, colin):
    actions.confirm(colin, done)

    as_(colin).post(page_of(done, "market_exchange_thanks"), {"note": "Lovely work, thank you!"})

    assert "“Lovely work, thank you!”" in text(as_(member).get(page_of(done)))


# --- Disputes and coordinators ------------------------------------------------------------------------------------


def test_only_coordinators_see_the_disputed_list(done, colin, coordinator, member):
    actions.dispute(colin, done, "Only half done")
    url = reverse("market_exchanges_disputed", kwargs={"slug": "riverside"})

    assert as_(member).get(url).status_code == 403
    page = text(as_(coordinator).get(url))
    assert "Weeding the front garden" in page and "Only half done" in page


def test_a_coordinator_resolves_a_dispute_for_one_hour_through_the_page(done, member, colin, coordinator, hours):
    actions.dispute(colin, done, "Only half done")
    url = page_of(done, "market_exchange_resolve")
    before = everything()
    no_note = as_(coordinator).post(url, {"outcome": "confirm", "note": ""})
    assert no_note.status_code == 400 and "Say what you decided and why." in text(no_note)
    assert everything() == before

    response = as_(coordinator).post(url, {"outcome": "confirm", "hours": "1", "minutes": "0", "note": "Half done."})

    assert response.status_code == 302
    exchange = fresh(done)
    assert (exchange.status, exchange.transfer.amount) == (ExchangeStatus.CONFIRMED, HOUR)
    assert "Transferred 1 h, as the coordinator decided" in text(as_(member).get(page_of(done)))


def test_members_cannot_open_the_coordinators_pages(done, colin):
    response = as_(colin).get(page_of(done, "market_exchange_on_behalf"), follow=True)

    assert "Only a coordinator who is not part of the exchange" in text(response)


def test_a_coordinator_confirms_for_colin_giving_a_reason(done, coordinator, member, hours):
    url = page_of(done, "market_exchange_on_behalf")
    assert as_(coordinator).get(url).status_code == 200

    as_(coordinator).post(url, {"reason": "Colin phoned me; he has no internet."})

    assert fresh(done).confirmed_by == coordinator
    assert balance(member, hours) == 2 * HOUR
