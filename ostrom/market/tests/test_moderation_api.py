"""Moderation's JSON API: Rita reports and blocks, Cora (coordinator) lists reports and decides. Every refusal
answers {code, message, fields} with the status the code calls for, and writes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.communities.tests.test_api import assert_error, call
from ostrom.market.access import listings as listing_access
from ostrom.market.actions import moderation as actions
from ostrom.market.models import Block, ExchangeMessage, Report, ReportStatus
from ostrom.market.tests.factories import CategoryFactory, ExchangeFactory, ListingFactory


@pytest.fixture
def rita(community):
    return MemberFactory(community=community, display_name="Rita", user=UserFactory(full_name="Rita Reed"))


@pytest.fixture
def reported(rita, minas_offer):
    return actions.report_listing(rita, minas_offer, "spam")


def written() -> dict:
    return {
        "reports": list(Report.objects.order_by("pk").values()),
        "blocks": Block.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


# --- Who can use which endpoint -----------------------------------------------------------------------------------

PERSONAS = ["anonymous", "member", "coordinator", "staff", "outsider"]
COORDINATORS_ONLY = {"anonymous": 401, "member": 403, "coordinator": 200, "staff": 403, "outsider": 403}
SIGNED_IN = {"anonymous": 401, "member": 200, "coordinator": 200, "staff": 200, "outsider": 200}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("get", "/market/reports", None, COORDINATORS_ONLY),
        ("post", "/market/reports/{report}/resolve", {"decision": "dismiss"}, {**COORDINATORS_ONLY}),
        ("post", "/market/moderation/listings/{listing}/hide", {"reason": "Spam"}, COORDINATORS_ONLY),
        ("get", "/market/blocks", None, SIGNED_IN),
        ("post", "/market/blocks", {"member_id": "{rita}"}, {**SIGNED_IN, "outsider": 404}),
        (
            "post",
            "/market/listings/{listing}/report",
            {"reason": "spam"},
            {**SIGNED_IN, "member": 403, "outsider": 404},
        ),
        ("post", "/market/moderation/listings/{listing}/unhide", {}, {**COORDINATORS_ONLY, "coordinator": 409}),
        ("delete", "/market/blocks/{rita}", None, {**SIGNED_IN, "member": 204, "outsider": 404}),
    ],
)
def test_each_endpoint_answers_each_persona_as_the_rules_say(
    client, personas, rita, reported, minas_offer, who, method, path, body, expected
):
    names = {"report": reported.pk, "listing": minas_offer.pk, "rita": rita.pk}
    path = path.format(**names)
    if body is not None:
        body = {k: names[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    response = call(client, method, path, personas[who], body)
    if expected[who] in (200, 204):
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert_error(response, expected[who])


# --- Reports ------------------------------------------------------------------------------------------------------


def test_rita_files_a_report_of_an_ad(client, rita, minas_offer, coordinator):
    response = call(client, "post", f"/market/listings/{minas_offer.pk}/report", rita, {"reason": "scam"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["listing_id"] == minas_offer.pk and body["message_id"] is None
    assert body["status"] == "open" and body["reason"] == "scam"
    assert Report.objects.get().reporter == rita


def test_rita_files_a_report_of_a_message(client, rita, minas_offer):
    exchange = ExchangeFactory(listing=minas_offer, receiver=rita)
    message = ExchangeMessage.objects.create(exchange=exchange, author=minas_offer.member, body="Rude words")

    response = call(client, "post", f"/market/messages/{message.pk}/report", rita, {"reason": "offensive"})

    assert response.status_code == 201 and response.json()["message_id"] == message.pk


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/market/listings/{listing}/report", {}, 422, "invalid_input"),
        ("/market/listings/{listing}/report", {"reason": "rude"}, 422, "invalid_input"),
        ("/market/listings/{listing}/report", {"reason": "spam", "note": "x" * 1001}, 422, "invalid_input"),
        ("/market/listings/{listing}/report", {"reason": "spam", "listing_id": 1}, 422, "invalid_input"),
        ("/market/listings/999999/report", {"reason": "spam"}, 404, "not_found"),
        ("/market/messages/999999/report", {"reason": "spam"}, 404, "not_found"),
    ],
)
def test_a_report_of_nothing_or_with_bad_details_is_refused(client, rita, minas_offer, path, body, status, code):
    before = written()
    assert_error(call(client, "post", path.format(listing=minas_offer.pk), rita, body), status, code)
    assert written() == before


def test_reporting_your_own_ad_is_forbidden_and_twice_is_a_conflict(client, member, rita, minas_offer):
    path = f"/market/listings/{minas_offer.pk}/report"
    assert_error(call(client, "post", path, member, {"reason": "spam"}), 403, "own_listing")
    assert call(client, "post", path, rita, {"reason": "spam"}).status_code == 201
    assert_error(call(client, "post", path, rita, {"reason": "scam"}), 409, "already_reported")
    assert Report.objects.count() == 1


def test_a_hidden_ad_cannot_be_reported(client, rita, coordinator, minas_offer):
    actions.hide_listing(coordinator, minas_offer, "Spam.")
    response = call(client, "post", f"/market/listings/{minas_offer.pk}/report", rita, {"reason": "spam"})
    assert_error(response, 404)
    assert not Report.objects.exists()


def test_cora_lists_open_reports_with_the_poster_s_history(client, coordinator, rita, reported, member, gardening):
    earlier = ListingFactory(community=member.community, member=member, category=gardening)
    actions.resolve_report(coordinator, actions.report_listing(rita, earlier, "spam"), "hide", "Spam.")

    response = call(client, "get", "/market/reports", coordinator)

    assert response.status_code == 200, response.content
    (item,) = response.json()["items"]
    assert item["id"] == reported.pk and item["reporter"]["display_name"] == "Rita"
    assert item["about"] == {"id": member.pk, "display_name": "Mina"}
    assert item["target_title"] == "Gardening help" and item["target_hidden"] is False
    assert item["history"]["hidden_count"] == 1 and item["history"]["level"] == "some"
    actioned = call(client, "get", "/market/reports?status=actioned", coordinator).json()
    assert [item["listing_id"] for item in actioned["items"]] == [earlier.pk]


def test_listing_reports_takes_the_same_queries_for_one_report_or_many(client, coordinator, community, gardening):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert call(client, "get", "/market/reports", coordinator).status_code == 200
        return len(captured)

    reporter = MemberFactory(community=community)
    actions.report_listing(reporter, ListingFactory(community=community, category=gardening), "spam")
    one = queries()
    for _ in range(5):
        actions.report_listing(MemberFactory(community=community), ListingFactory(community=community), "scam")
    assert queries() == one


def test_cora_hides_what_a_report_is_about(client, coordinator, reported, minas_offer, rita):
    response = call(
        client, "post", f"/market/reports/{reported.pk}/resolve", coordinator, {"decision": "hide", "reason": "Spam."}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "actioned" and response.json()["target_hidden"] is True
    assert not listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    again = call(client, "post", f"/market/reports/{reported.pk}/resolve", coordinator, {"decision": "dismiss"})
    assert_error(again, 409, "report_closed")


def test_hiding_through_the_api_needs_a_reason(client, coordinator, reported):
    response = call(client, "post", f"/market/reports/{reported.pk}/resolve", coordinator, {"decision": "hide"})
    assert_error(response, 400, "reason_required")
    reported.refresh_from_db()
    assert reported.status == ReportStatus.OPEN


def test_a_report_of_another_community_is_not_found(client, coordinator, other_community):
    hillside_ad = ListingFactory(community=other_community, category=CategoryFactory(community=other_community))
    theirs = actions.report_listing(MemberFactory(community=other_community), hillside_ad, "spam")
    response = call(client, "post", f"/market/reports/{theirs.pk}/resolve", coordinator, {"decision": "dismiss"})
    assert_error(response, 404)
    hide = call(client, "post", f"/market/moderation/listings/{hillside_ad.pk}/hide", coordinator, {"reason": "x"})
    assert_error(hide, 404)


def test_cora_hides_and_shows_again_an_ad_directly(client, coordinator, minas_offer):
    path = f"/market/moderation/listings/{minas_offer.pk}"
    hidden = call(client, "post", f"{path}/hide", coordinator, {"reason": "Spam."})
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert_error(call(client, "post", f"{path}/hide", coordinator, {"reason": "Again"}), 409, "already_hidden")
    shown = call(client, "post", f"{path}/unhide", coordinator, {})
    assert shown.status_code == 200 and shown.json() == {
        "id": minas_offer.pk, "title": "Gardening help", "hidden": False, "hidden_at": None, "hidden_reason": ""
    }  # fmt: skip
    assert_error(call(client, "post", f"{path}/unhide", coordinator, {}), 409, "not_hidden")


# --- Blocks -------------------------------------------------------------------------------------------------------


def test_rita_blocks_lists_and_unblocks_mina(client, rita, member):
    first = call(client, "post", "/market/blocks", rita, {"member_id": member.pk})
    again = call(client, "post", "/market/blocks", rita, {"member_id": member.pk})

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["member"] == {"id": member.pk, "display_name": "Mina"}
    listed = call(client, "get", "/market/blocks", rita).json()
    assert listed["count"] == 1 and listed["items"][0]["member"]["id"] == member.pk
    assert call(client, "get", "/market/blocks", member).json()["count"] == 0  # who blocked you is private

    assert call(client, "delete", f"/market/blocks/{member.pk}", rita).status_code == 204
    assert not Block.objects.exists()


def test_blocking_yourself_or_a_stranger_is_refused(client, rita, outsider):
    assert_error(call(client, "post", "/market/blocks", rita, {"member_id": rita.pk}), 403, "block_yourself")
    assert_error(call(client, "post", "/market/blocks", rita, {"member_id": outsider.pk}), 404)
    assert_error(call(client, "delete", f"/market/blocks/{outsider.pk}", rita), 404)
    assert not Block.objects.exists()
