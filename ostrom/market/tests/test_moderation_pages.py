"""Moderation's pages as a browser without JavaScript uses them: Rita reports Mina's offer and blocks her, Cora
(coordinator) works through the queue. Who may open what, and nothing changes when refused."""

import html

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.communities.tests.test_pages import submit
from ostrom.market.access import listings as listing_access
from ostrom.market.actions import moderation as actions
from ostrom.market.models import Block, ExchangeMessage, Report, ReportStatus
from ostrom.market.tests.factories import CategoryFactory, ExchangeFactory, ListingFactory
from ostrom.notify.models import Message

PROBLEM = "There is a problem"


@pytest.fixture
def rita(community):
    return MemberFactory(community=community, display_name="Rita", user=UserFactory(full_name="Rita Reed"))


@pytest.fixture
def thread(minas_offer, rita):
    exchange = ExchangeFactory(listing=minas_offer, receiver=rita)
    return ExchangeMessage.objects.create(exchange=exchange, author=minas_offer.member, body="Go away, you pest.")


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args):
    return reverse(name, args=["riverside", *args])


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- The include on the listing page ------------------------------------------------------------------------------


def include(listing, viewer):
    return html.unescape(
        render_to_string(
            "market/includes/listing_report.html",
            {"listing": listing, "viewer": viewer, "community": listing.community},
        )
    )


def test_others_see_report_this_and_block_the_poster(rita, minas_offer):
    page = include(minas_offer, rita)
    assert f'href="{url("market_report_listing", minas_offer.pk)}"' in page
    assert "Report this offer" in page
    assert f'action="{url("market_block", minas_offer.member_id)}"' in page and "Block Mina" in page
    assert "Hide this" not in page  # only for coordinators


def test_the_poster_sees_neither(member, minas_offer):
    assert "Report this" not in include(minas_offer, member)
    assert "Block" not in include(minas_offer, member)


def test_the_listing_page_carries_the_include(rita, minas_offer):
    page = text(as_(rita).get(url("market_listing", minas_offer.pk)))
    assert "Report this offer" in page and "Block Mina" in page


def test_coordinators_also_get_a_link_to_hide_it_or_to_show_it_again(coordinator, minas_offer):
    assert f'href="{url("market_listing_hide", minas_offer.pk)}"' in include(minas_offer, coordinator)
    actions.hide_listing(coordinator, minas_offer, "Spam.")
    minas_offer.refresh_from_db()
    page = include(minas_offer, coordinator)
    assert "Show it again on the moderation page" in page and "Report this" not in page


# --- Reporting ----------------------------------------------------------------------------------------------------


def test_rita_reports_mina_s_offer_through_the_form(rita, coordinator, minas_offer):
    client = as_(rita)
    page = client.get(url("market_report_listing", minas_offer.pk))
    assert page.status_code == 200 and "Report “Gardening help”" in text(page)
    assert 'type="radio" name="reason" value="scam"' in text(page) and '<textarea name="note"' in text(page)

    done = client.post(
        url("market_report_listing", minas_offer.pk), {"filing": "1", "reason": "scam", "note": "Wants cash."}
    )

    assert done.status_code == 302 and done["Location"] == url("market_report_listing", minas_offer.pk)
    report = Report.objects.get()
    assert (report.reporter, report.listing, report.reason, report.note) == (rita, minas_offer, "scam", "Wants cash.")
    assert Message.objects.filter(kind="market.report_filed", member=coordinator).exists()
    after = client.get(done["Location"])
    assert "You reported this" in text(after) and "Thank you." in text(after)
    assert 'name="reason"' not in text(after)  # no second form while the first report waits


def test_a_report_without_a_reason_shows_the_error_beside_the_field(rita, minas_offer):
    response = as_(rita).post(url("market_report_listing", minas_offer.pk), {"filing": "1", "note": "Hmm"})
    assert response.status_code == 400
    assert PROBLEM in text(response) and "Choose what is wrong with it." in text(response)
    assert not Report.objects.exists()


def test_mina_cannot_report_her_own_offer(member, minas_offer):
    page = as_(member).get(url("market_report_listing", minas_offer.pk))
    assert page.status_code == 200 and "You cannot report your own offer or request" in text(page)
    response = as_(member).post(url("market_report_listing", minas_offer.pk), {"filing": "1", "reason": "spam"})
    assert response.status_code == 400 and "You cannot report your own offer or request." in text(response)
    assert not Report.objects.exists()


def test_an_ad_rita_cannot_see_or_of_another_community_is_not_found(rita, member, other_community, minas_offer):
    hillside_ad = ListingFactory(community=other_community, category=CategoryFactory(community=other_community))
    assert as_(rita).get(url("market_report_listing", hillside_ad.pk)).status_code == 404
    actions.block_member(member, rita)
    assert (
        as_(rita).post(url("market_report_listing", minas_offer.pk), {"filing": "1", "reason": "spam"}).status_code
        == 404
    )
    assert not Report.objects.exists()


def test_someone_from_another_community_cannot_open_riverside_s_pages(outsider, minas_offer):
    assert as_(outsider).get(url("market_report_listing", minas_offer.pk)).status_code == 403
    assert as_(None).get(url("market_report_listing", minas_offer.pk)).status_code == 302  # to the login page


def test_rita_reports_a_message_in_her_exchange(rita, thread, coordinator):
    client = as_(rita)
    assert "Go away, you pest." in text(client.get(url("market_report_message", thread.pk)))
    # The exchange thread's "Report this message" button posts here with nothing: the form, not an error.
    button = client.post(url("market_report_message", thread.pk))
    assert button.status_code == 200 and PROBLEM not in text(button) and 'name="reason"' in text(button)
    done = client.post(url("market_report_message", thread.pk), {"filing": "1", "reason": "offensive"})
    assert done.status_code == 302
    assert Report.objects.get().message == thread


def test_a_message_of_someone_else_s_exchange_is_not_found(community, thread):
    stranger = MemberFactory(community=community)
    assert as_(stranger).get(url("market_report_message", thread.pk)).status_code == 404


# --- Blocks -------------------------------------------------------------------------------------------------------


def test_rita_blocks_mina_from_the_listing_page_and_unblocks_her_later(rita, member, minas_offer):
    client = as_(rita)
    confirm = client.get(url("market_block", member.pk))
    assert confirm.status_code == 200 and "Block Mina?" in text(confirm)

    done = client.post(url("market_block", member.pk))

    assert done.status_code == 302 and done["Location"] == url("market_blocks")
    assert not listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    page = client.get(done["Location"])
    assert "You blocked Mina." in text(page) and "<td>Mina</td>" in text(page)

    client.post(url("market_unblock", member.pk))
    assert not Block.objects.exists()
    assert "You have not blocked anyone." in text(client.get(url("market_blocks")))


def test_blocking_yourself_or_another_community_s_member_is_refused(member, outsider):
    client = as_(member)
    response = client.post(url("market_block", member.pk), follow=True)
    assert "You cannot block yourself." in text(response)
    assert client.post(url("market_block", outsider.pk)).status_code == 404
    assert not Block.objects.exists()


# --- Coordinators' queue ------------------------------------------------------------------------------------------


@pytest.fixture
def reported(rita, minas_offer):
    return actions.report_listing(rita, minas_offer, "scam", "Asks for cash up front.")


def test_the_queue_shows_each_report_with_the_poster_s_history(coordinator, reported, member, gardening):
    earlier = ListingFactory(community=member.community, member=member, category=gardening, title="Cheap watches")
    earlier_report = actions.report_listing(MemberFactory(community=member.community), earlier, "spam")
    actions.resolve_report(coordinator, earlier_report, "hide", "Selling watches.")

    page = as_(coordinator).get(url("market_moderation"))

    body = text(page)
    assert page.status_code == 200
    assert "Offer: “Gardening help”" in body and "by Rita" in body and "A scam or a fraud" in body
    assert "“Asks for cash up front.”" in body
    assert "1 thing of theirs hidden in the last 90 days." in body
    assert "Cheap watches" in body  # in the hidden list, to show again
    assert f'action="{url("market_listing_unhide", earlier.pk)}"' in body


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_open_the_queue_or_decide(personas, reported, persona):
    client = as_(personas[persona])
    assert client.get(url("market_moderation")).status_code == 403
    decided = client.post(url("market_moderation_report", reported.pk), {"decision": "hide", "reason": "Spam"})
    assert decided.status_code == 403
    assert client.post(url("market_listing_hide", reported.listing_id), {"reason": "Spam"}).status_code == 403
    reported.refresh_from_db()
    assert reported.status == ReportStatus.OPEN and not AuditEntry.objects.exists()


def test_cora_hides_the_offer_from_the_queue(coordinator, reported, minas_offer, rita):
    client = as_(coordinator)

    done = client.post(
        url("market_moderation_report", reported.pk), {"decision": "hide", "reason": "Cash is not allowed."}
    )

    assert done.status_code == 302 and done["Location"] == url("market_moderation")
    assert not listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    assert AuditEntry.objects.get().action == "market.listing_hidden"
    assert "No reports are waiting." in text(client.get(done["Location"]))


def test_hiding_without_a_reason_says_so_beside_the_field(coordinator, reported, minas_offer):
    response = as_(coordinator).post(url("market_moderation_report", reported.pk), {"decision": "hide", "reason": ""})
    assert response.status_code == 400 and PROBLEM in text(response)
    assert "Say why you are hiding it." in text(response)
    minas_offer.refresh_from_db()
    assert minas_offer.hidden_at is None


def test_cora_dismisses_a_report(coordinator, reported):
    done = as_(coordinator).post(
        url("market_moderation_report", reported.pk), {"decision": "dismiss", "outcome": "Fine."}
    )
    assert done.status_code == 302
    reported.refresh_from_db()
    assert reported.status == ReportStatus.DISMISSED and reported.outcome == "Fine."


def test_cora_shows_a_hidden_offer_again(coordinator, minas_offer, rita):
    actions.hide_listing(coordinator, minas_offer, "Mistake?")
    done = as_(coordinator).post(url("market_listing_unhide", minas_offer.pk), {"reason": "It was fine."})
    assert done.status_code == 302
    assert listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()


def test_cora_hides_an_offer_without_a_report(coordinator, minas_offer):
    done = submit(as_(coordinator), url("market_listing_hide", minas_offer.pk), {"reason": "Selling, not helping."})
    assert done.status_code == 302
    minas_offer.refresh_from_db()
    assert minas_offer.hidden_reason == "Selling, not helping."


def test_a_report_of_another_community_is_not_found(coordinator, other_community):
    hillside_ad = ListingFactory(community=other_community, category=CategoryFactory(community=other_community))
    hillside_report = actions.report_listing(MemberFactory(community=other_community), hillside_ad, "spam")
    assert as_(coordinator).get(url("market_moderation_report", hillside_report.pk)).status_code == 404
    assert as_(coordinator).post(url("market_listing_hide", hillside_ad.pk), {"reason": "x"}).status_code == 404
