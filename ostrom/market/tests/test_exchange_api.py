"""The exchange workflow through the JSON API, with the cast of test_exchange_cast.py. Every refusal answers
{code, message, fields} and writes nothing; an exchange is 404 to anyone who is not one of its two people or a
coordinator of its community."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory
from ostrom.communities.tests.test_api import assert_error, call
from ostrom.ledger.models import Transfer
from ostrom.market.actions import exchanges as actions
from ostrom.market.models import ExchangeStatus
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.factories import ListingFactory
from ostrom.market.tests.test_exchange_cast import FIRST_MESSAGE, HOUR, balance, everything, fresh, soon

hours, colin, tess = cast.hours, cast.colin, cast.tess
enquiry, agreed, done = cast.enquiry, cast.agreed, cast.done


def terms(**changes) -> dict:
    return {"what": "Weeding the front garden", "scheduled_for": soon().isoformat(), "amount": 2 * HOUR, **changes}


def test_the_whole_story_through_the_api(client, minas_offer, member, colin, hours):
    started = call(client, "post", f"/market/listings/{minas_offer.pk}/contact", colin, {"message": FIRST_MESSAGE})
    assert started.status_code == 201, started.content
    exchange = started.json()
    path = f"/market/exchanges/{exchange['id']}"
    again = call(client, "post", f"/market/listings/{minas_offer.pk}/contact", colin, {"message": "Any Saturday"})

    proposed = call(client, "post", f"{path}/terms", member, terms())
    accepted = call(client, "post", f"{path}/accept", colin)
    call(client, "post", f"{path}/done", member)
    confirmed = call(client, "post", f"{path}/confirm", colin, {})
    twice = call(client, "post", f"{path}/confirm", colin, {})

    assert (exchange["your_role"], exchange["giver"]["display_name"], exchange["status"]) == (
        "receiver",
        "Mina",
        "enquiry",
    )
    assert [m["body"] for m in exchange["messages"]] == [FIRST_MESSAGE]
    assert again.status_code == 200 and again.json()["id"] == exchange["id"]
    assert proposed.json()["steps"] == ["cancel", "propose", "share", "write"]
    assert accepted.json()["status"] == "agreed"
    body = confirmed.json()
    assert confirmed.status_code == 200, confirmed.content
    assert (body["status"], body["amount"], body["transferred"], body["display"]["amount"]) == (
        "confirmed", 120, 120, "2 h"
    )  # fmt: skip
    assert body["transfer"] == Transfer.objects.get().pk
    assert_error(twice, code="already_confirmed")
    assert Transfer.objects.count() == 1
    assert (balance(member, hours), balance(colin, hours)) == (2 * HOUR, -2 * HOUR)


def test_a_list_of_my_exchanges_open_and_past(client, enquiry, colin, tess, minas_offer):
    other = actions.start(tess, minas_offer, "Me too?").exchange
    actions.cancel(tess, other, "Sorted")

    mine = call(client, "get", "/market/exchanges", colin).json()
    tess_open = call(client, "get", "/market/exchanges?state=open", tess).json()
    tess_past = call(client, "get", "/market/exchanges?state=past", tess).json()

    assert [e["id"] for e in mine["items"]] == [enquiry.pk]
    assert (tess_open["count"], [e["id"] for e in tess_past["items"]]) == (0, [other.pk])


def test_nobody_else_finds_the_exchange(client, enquiry, tess, outsider, coordinator):
    for persona in (tess, outsider):
        assert_error(call(client, "get", f"/market/exchanges/{enquiry.pk}", persona), 404)
        assert_error(call(client, "post", f"/market/exchanges/{enquiry.pk}/messages", persona, {"body": "Hi"}), 404)
    seen = call(client, "get", f"/market/exchanges/{enquiry.pk}", coordinator).json()
    assert seen["your_role"] == "coordinator" and seen["contact"] is None


def test_confirming_someone_elses_exchange_is_not_found_and_writes_nothing(client, done, tess):
    before = everything()

    assert_error(call(client, "post", f"/market/exchanges/{done.pk}/confirm", tess, {}), 404)
    assert everything() == before


def test_the_giver_cannot_confirm(client, done, member):
    before = everything()

    assert_error(call(client, "post", f"/market/exchanges/{done.pk}/confirm", member, {}), code="wrong_party")
    assert everything() == before


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (terms(scheduled_for=(timezone.now() - timedelta(days=1)).isoformat()), None, "date_in_past"),
        (terms(amount=0), 422, None),
        (terms(amount=1.5), 422, None),
        (terms(what="   "), 422, None),
        (terms(scheduled_for="2026-03-02T10:00:00"), 422, None),
        (terms(currency="nonesuch"), None, "currency_unknown"),
        ({**terms(), "extra": 1}, 422, None),
    ],
)
def test_bad_terms_are_refused_and_write_nothing(client, enquiry, member, payload, status, code):
    before = everything()

    assert_error(call(client, "post", f"/market/exchanges/{enquiry.pk}/terms", member, payload), status, code)
    assert everything() == before


def test_agreeing_with_yourself_is_refused(client, enquiry, member):
    call(client, "post", f"/market/exchanges/{enquiry.pk}/terms", member, terms())
    before = everything()

    assert_error(call(client, "post", f"/market/exchanges/{enquiry.pk}/accept", member), code="own_proposal")
    assert everything() == before


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_message_is_refused(client, enquiry, colin, body):
    before = everything()

    assert_error(call(client, "post", f"/market/exchanges/{enquiry.pk}/messages", colin, {"body": body}), 422)
    assert everything() == before


def test_contacting_your_own_listing_is_refused(client, minas_offer, member):
    assert_error(
        call(client, "post", f"/market/listings/{minas_offer.pk}/contact", member, {"message": "Hi"}),
        code="same_person",
    )


def test_a_coordinator_confirms_on_behalf_only_with_a_reason(client, done, coordinator, colin):
    before = everything()
    assert_error(call(client, "post", f"/market/exchanges/{done.pk}/confirm", coordinator, {}), code="reason_required")
    assert everything() == before

    response = call(client, "post", f"/market/exchanges/{done.pk}/confirm", coordinator, {"reason": "No phone"})

    assert response.json()["confirmed_by"] == coordinator.pk


def test_dispute_and_resolution_through_the_api(client, done, colin, coordinator, member, hours):
    disputed = call(client, "post", f"/market/exchanges/{done.pk}/dispute", colin, {"reason": "Half done"})
    resolved = call(
        client, "post", f"/market/exchanges/{done.pk}/resolve", coordinator,
        {"outcome": "confirm", "note": "One hour it is.", "amount": HOUR},
    )  # fmt: skip

    assert disputed.json()["status"] == "disputed"
    body = resolved.json()
    assert (body["status"], body["amount"], body["transferred"], body["resolution"]) == (
        "confirmed", 2 * HOUR, HOUR, "One hour it is."
    )  # fmt: skip
    assert balance(member, hours) == HOUR


def test_cancel_needs_a_reason(client, agreed, colin):
    assert_error(call(client, "post", f"/market/exchanges/{agreed.pk}/cancel", colin, {"reason": ""}), 422)

    response = call(client, "post", f"/market/exchanges/{agreed.pk}/cancel", colin, {"reason": "Found someone"})

    assert response.json()["status"] == "cancelled"
    assert fresh(agreed).status == ExchangeStatus.CANCELLED


def test_contact_details_appear_once_both_share(client, enquiry, member, colin):
    call(client, "post", f"/market/exchanges/{enquiry.pk}/contact-details", member, {"share": True})
    half = call(client, "get", f"/market/exchanges/{enquiry.pk}", member).json()
    call(client, "post", f"/market/exchanges/{enquiry.pk}/contact-details", colin, {"share": True})
    both = call(client, "get", f"/market/exchanges/{enquiry.pk}", member).json()

    assert (half["you_share_contact"], half["contact"]) == (True, None)
    assert both["contact"] == {"name": "Colin", "email": "colin@example.org", "phone": "+44 7700 900103"}


STEPS = ("messages", "terms", "accept", "done", "ask", "confirm", "decline", "cancel", "dispute", "resolve", "thanks")


def test_the_schema_lists_every_exchange_endpoint(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {p for p in paths if "/market/exchanges" in p or p.endswith("/contact")} == {
        "/api/v1/market/listings/{listing_id}/contact",
        "/api/v1/market/exchanges",
        "/api/v1/market/exchanges/{exchange_id}",
        "/api/v1/market/exchanges/{exchange_id}/contact-details",
        *(f"/api/v1/market/exchanges/{{exchange_id}}/{step}" for step in STEPS),
    }


def test_the_list_makes_the_same_number_of_queries_for_one_or_six_exchanges(client, member, gardening, hours):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert call(client, "get", "/market/exchanges", member).status_code == 200
        return len(captured)

    def one_more_confirmed_exchange() -> None:
        listing = ListingFactory(community=member.community, member=member, category=gardening)
        exchange = actions.start(MemberFactory(community=member.community), listing, "Hello").exchange
        actions.propose_terms(member, exchange, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)
        actions.accept_terms(exchange.receiver, exchange)
        actions.confirm(exchange.receiver, exchange)

    one_more_confirmed_exchange()
    with_one = queries_for_list()
    for _ in range(5):
        one_more_confirmed_exchange()

    assert queries_for_list() == with_one
