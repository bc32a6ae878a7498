"""Moderation's pages in Debian's Chromium: axe finds nothing wrong on any of them (with a form error too), and
reporting, blocking and hiding all work with JavaScript turned off."""

import pytest

from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.market.actions import moderation as actions
from ostrom.market.models import Block, ExchangeMessage, Report, ReportStatus
from ostrom.market.tests import conftest as market_cast
from ostrom.market.tests.factories import ExchangeFactory
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The marketplace's cast, named here for pytest to find (it lives in ostrom/market/tests/conftest.py).
gardening = market_cast.gardening
minas_offer = market_cast.minas_offer


@pytest.fixture
def scene(community, member, coordinator, minas_offer):
    """Rita has reported Mina's offer and her rude message; Cora has hidden one earlier ad of Mina's."""
    rita = MemberFactory(community=community, display_name="Rita", user=UserFactory(email="rita@example.org"))
    exchange = ExchangeFactory(listing=minas_offer, receiver=rita)
    message = ExchangeMessage.objects.create(exchange=exchange, author=member, body="Go away, you pest.")
    actions.report_message(rita, message, "offensive", "Rude.")
    actions.report_listing(rita, minas_offer, "scam", "Wants cash up front.")
    actions.block_member(rita, MemberFactory(community=community, display_name="Bob"))
    return {"rita": rita, "message": message, "offer": minas_offer}


def test_every_moderation_page_is_accessible(page, live_server, scene, coordinator):
    base = f"{live_server.url}/c/riverside/market"
    report = Report.objects.filter(listing=scene["offer"]).get()
    login_as(page, live_server, scene["rita"])
    for path in (
        f"/listings/{scene['offer'].pk}/",
        f"/listings/{scene['offer'].pk}/report/",
        f"/messages/{scene['message'].pk}/report/",
        f"/members/{scene['offer'].member_id}/block/",
        "/blocked/",
    ):
        page.goto(base + path)
        assert_accessible(page)
    page.context.clear_cookies()
    login_as(page, live_server, coordinator)
    for path in (
        "/moderation/",
        f"/moderation/reports/{report.pk}/",
        f"/moderation/listings/{scene['offer'].pk}/hide/",
        f"/moderation/messages/{scene['message'].pk}/hide/",
    ):
        page.goto(base + path)
        assert_accessible(page)
    # A decision without a reason: the error summary and the message beside the field are accessible too.
    page.goto(f"{base}/moderation/reports/{report.pk}/")
    page.get_by_role("button", name="Hide it").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)


def test_report_block_and_hide_work_without_javascript(page_without_js, live_server, scene, coordinator):
    page = page_without_js
    base = f"{live_server.url}/c/riverside/market"
    offer = scene["offer"]
    Report.objects.all().delete()
    newcomer = MemberFactory(community=offer.community, display_name="Nia", user=UserFactory(email="nia@example.org"))

    login_as(page, live_server, newcomer)
    page.goto(f"{base}/listings/{offer.pk}/")
    page.get_by_role("link", name="Report this offer").click()
    page.get_by_label("A scam or a fraud").check()
    page.get_by_label("Tell the coordinators more").fill("Asks for cash.")
    page.get_by_role("button", name="Send report").click()
    assert page.get_by_text("You reported this").is_visible()
    assert Report.objects.get().reporter == newcomer

    page.context.clear_cookies()
    login_as(page, live_server, coordinator)
    page.goto(f"{base}/moderation/")
    page.get_by_label("Why hide it").fill("Cash payments are not allowed.")
    page.get_by_role("button", name="Hide it").click()
    assert page.get_by_text("Hidden. The person who posted it has been told why.").is_visible()
    offer.refresh_from_db()
    assert offer.hidden_reason == "Cash payments are not allowed."
    assert Report.objects.get().status == ReportStatus.ACTIONED

    page.get_by_role("button", name="Show again").click()
    offer.refresh_from_db()
    assert offer.hidden_at is None

    page.context.clear_cookies()
    login_as(page, live_server, newcomer)
    page.goto(f"{base}/listings/{offer.pk}/")
    page.get_by_role("button", name="Block Mina").click()
    assert page.get_by_text("You blocked Mina.").is_visible()
    page.get_by_role("button", name="Unblock Mina").click()
    assert not Block.objects.filter(blocker=newcomer).exists()
