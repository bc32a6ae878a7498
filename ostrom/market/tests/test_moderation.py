"""Moderation, told as stories: Rita reports Mina's gardening offer, Cora (coordinator) hides it or dismisses the
report, people block one another. Otto belongs to Hillside only. Every refusal writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError, Status
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import CoordinatorFactory, MemberFactory, UserFactory
from ostrom.market.access import listings as listing_access
from ostrom.market.access import moderation as access
from ostrom.market.actions import moderation as actions
from ostrom.market.domain import moderation as rules
from ostrom.market.models import Block, ExchangeMessage, ListingStatus, Report, ReportStatus
from ostrom.market.tests.factories import ExchangeFactory, ListingFactory
from ostrom.notify.models import Message

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def rita(community):
    return MemberFactory(community=community, display_name="Rita", user=UserFactory(full_name="Rita Reed"))


@pytest.fixture
def thread(minas_offer, rita):
    """Rita asked about Mina's offer; Mina answered rudely."""
    exchange = ExchangeFactory(listing=minas_offer, receiver=rita)
    return ExchangeMessage.objects.create(exchange=exchange, author=minas_offer.member, body="Go away, you pest.")


def notices(kind, member=None):
    rows = Message.objects.filter(kind=kind).order_by("pk")
    return list(rows.filter(member=member) if member else rows)


def rows() -> dict:
    """Everything a refused action could have written, to prove it wrote nothing."""
    return {
        "reports": list(Report.objects.order_by("pk").values()),
        "blocks": list(Block.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
        "messages": Message.objects.count(),
    }


def refused(code, call, *args, **kwargs):
    before = rows()
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    assert caught.value.message.strip()
    assert rows() == before
    return caught.value


# --- The pattern beside a report (pure) ----------------------------------------------------------------------------


def hidden(target, days_ago):
    return rules.ActionedReport(target, NOW - timedelta(days=days_ago))


def test_a_member_with_nothing_hidden_lately_shows_no_pattern():
    assert rules.pattern([], NOW) == rules.Pattern(0, "none", "Nothing of theirs hidden in the last 90 days.")
    assert rules.pattern([hidden("listing:1", 91)], NOW).hidden_count == 0


def test_many_reports_of_one_ad_count_as_one_thing_hidden():
    five_reporters = [hidden("listing:1", 3)] * 5
    result = rules.pattern(five_reporters, NOW)
    assert result.hidden_count == 1 and result.level == "some"
    assert result.summary == "1 thing of theirs hidden in the last 90 days."


def test_three_things_hidden_within_ninety_days_is_a_pattern():
    actioned = [hidden("listing:1", 80), hidden("message:7", 30), hidden("listing:2", 1), hidden("listing:3", 120)]
    result = rules.pattern(actioned, NOW)
    assert result.hidden_count == 3 and result.level == "repeated"
    assert "a pattern" in result.summary
    assert rules.pattern(actioned[:2], NOW).level == "some"


@given(
    st.lists(
        st.tuples(st.sampled_from(["listing:1", "listing:2", "message:3", "message:4"]), st.integers(0, 200)),
        max_size=30,
    )
)
def test_the_count_is_the_number_of_distinct_things_hidden_inside_the_window(entries):
    actioned = [hidden(target, days) for target, days in entries]
    expected = {target for target, days in entries if days <= 90}
    assert rules.pattern(actioned, NOW).hidden_count == len(expected)
    # A longer window never sees fewer.
    assert rules.pattern(actioned, NOW, timedelta(days=365)).hidden_count >= len(expected)


def test_a_note_is_trimmed_and_bounded():
    assert rules.clean_note("  Looks like a scam.  ") == "Looks like a scam."
    with pytest.raises(DomainError) as caught:
        rules.clean_note("x" * 1001)
    assert caught.value.code == "note_too_long" and caught.value.field == "note"
    with pytest.raises(DomainError) as caught:
        rules.clean_note("a\x00b")
    assert caught.value.code == "invalid_text"


def test_a_reason_to_hide_is_required():
    with pytest.raises(DomainError) as caught:
        rules.clean_reason("   ")
    assert caught.value.code == "reason_required"


# --- Reporting an ad -----------------------------------------------------------------------------------------------


def test_rita_reports_minas_offer_and_the_coordinators_are_told(rita, minas_offer, coordinator, member):
    report = actions.report_listing(rita, minas_offer, "scam", "  Asks for money up front.  ")

    assert report.status == ReportStatus.OPEN and report.about == member
    assert report.note == "Asks for money up front."
    (notice,) = notices("market.report_filed")
    assert notice.member == coordinator and notice.to_address == "cora@example.org"
    assert notice.subject == "New report: the offer “Gardening help”"
    assert "Rita reported the offer “Gardening help” by Mina as “A scam or a fraud”." in notice.body
    assert "/c/riverside/market/moderation/" in notice.body
    assert notices("market.report_filed", member) == []  # Mina is not told she was reported


def test_a_coordinator_who_is_reported_is_not_told_of_the_report_about_them(rita, coordinator, gardening):
    coras_offer = ListingFactory(community=coordinator.community, member=coordinator, category=gardening)
    ada = CoordinatorFactory(community=coordinator.community, display_name="Ada")

    actions.report_listing(rita, coras_offer, "offensive")

    assert [n.member for n in notices("market.report_filed")] == [ada]


def test_nobody_can_report_their_own_ad(member, minas_offer, coordinator):
    refused("own_listing", actions.report_listing, member, minas_offer, "spam")


@pytest.mark.parametrize("how", ["hidden", "draft", "paused", "blocked by Mina", "blocked by Rita"])
def test_an_ad_rita_cannot_see_cannot_be_reported(rita, member, coordinator, minas_offer, how):
    if how == "hidden":
        actions.hide_listing(coordinator, minas_offer, "Selling, not helping.")
    elif how in ("draft", "paused"):
        minas_offer.status = ListingStatus.DRAFT if how == "draft" else ListingStatus.PAUSED
        minas_offer.save()
    elif how == "blocked by Mina":
        actions.block_member(member, rita)
    else:
        actions.block_member(rita, member)

    refused("listing_unknown", actions.report_listing, rita, minas_offer, "spam")


def test_an_ad_of_another_community_cannot_be_reported(outsider, minas_offer):
    refused("listing_unknown", actions.report_listing, outsider, minas_offer, "spam")


def test_reporting_the_same_ad_again_while_the_first_report_waits_is_refused(rita, minas_offer, coordinator):
    actions.report_listing(rita, minas_offer, "spam")
    refused("already_reported", actions.report_listing, rita, minas_offer, "scam", "And another thing")


def test_after_a_decision_the_same_person_may_report_it_again(rita, minas_offer, coordinator):
    first = actions.report_listing(rita, minas_offer, "spam")
    actions.dismiss_report(coordinator, first, "It is an ordinary offer.")

    again = actions.report_listing(rita, minas_offer, "spam", "They changed it since.")

    assert again.pk != first.pk and again.status == ReportStatus.OPEN


@pytest.mark.parametrize(
    ("reason", "note", "code"), [("rude", "", "reason_unknown"), ("spam", "x" * 1001, "note_too_long")]
)
def test_a_report_needs_a_known_reason_and_a_note_of_sensible_length(rita, minas_offer, reason, note, code):
    refused(code, actions.report_listing, rita, minas_offer, reason, note)


def test_one_member_can_have_only_so_many_reports_waiting(rita, community, gardening, monkeypatch):
    monkeypatch.setattr(rules, "MAX_OPEN_REPORTS", 2)
    ads = ListingFactory.create_batch(3, community=community, category=gardening)
    actions.report_listing(rita, ads[0], "spam")
    actions.report_listing(rita, ads[1], "spam")

    refused("too_many_reports", actions.report_listing, rita, ads[2], "spam")


def test_a_suspended_member_cannot_report(rita, minas_offer):
    rita.status = Status.SUSPENDED
    rita.save()
    refused("member_not_active", actions.report_listing, rita, minas_offer, "spam")


# --- Reporting a message -------------------------------------------------------------------------------------------


def test_rita_reports_a_rude_message_in_her_exchange(rita, thread, member, coordinator):
    report = actions.report_message(rita, thread, "offensive")

    assert report.message == thread and report.listing is None and report.about == member
    (notice,) = notices("market.report_filed")
    assert "a message (“Go away, you pest.”)" in notice.body


def test_only_the_people_in_an_exchange_can_report_its_messages(thread, community, coordinator, outsider):
    stranger = MemberFactory(community=community)
    refused("message_unknown", actions.report_message, stranger, thread, "offensive")
    refused("message_unknown", actions.report_message, outsider, thread, "offensive")


def test_nobody_reports_their_own_message_or_a_note_ostrom_wrote(member, rita, thread):
    refused("own_message", actions.report_message, member, thread, "offensive")
    note = ExchangeMessage.objects.create(exchange=thread.exchange, author=None, body="Mina proposed 2 h.")
    refused("system_message", actions.report_message, rita, note, "offensive")


# --- Coordinators hide, show again, dismiss --------------------------------------------------------------------------


def test_hiding_an_ad_takes_it_out_of_what_members_see_and_tells_the_poster_why(rita, member, coordinator, minas_offer):
    assert listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    actions.report_listing(rita, minas_offer, "scam")
    second = actions.report_listing(MemberFactory(community=rita.community), minas_offer, "spam")

    hidden_offer = actions.hide_listing(coordinator, minas_offer, "Asks for cash, which is not allowed here.")

    assert hidden_offer.hidden_by == coordinator and hidden_offer.hidden_at is not None
    assert hidden_offer.hidden_reason == "Asks for cash, which is not allowed here."
    assert not listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    assert listing_access.get_listing_or_404(member, minas_offer.pk) == minas_offer  # Mina still sees it
    # Every open report of it is closed, acted on, with the reason.
    assert set(Report.objects.values_list("status", "handled_by", "outcome")) == {
        (ReportStatus.ACTIONED, coordinator.pk, "Asks for cash, which is not allowed here.")
    }
    (notice,) = notices("market.content_moderated", member)
    assert notice.subject == "Your offer “Gardening help” is hidden"
    assert "The reason they gave: “Asks for cash, which is not allowed here.”" in notice.body
    (entry,) = AuditEntry.objects.filter(action="market.listing_hidden")
    assert entry.actor == coordinator.user and entry.member == member
    assert entry.reason == "Asks for cash, which is not allowed here."
    assert entry.details["listing"] == minas_offer.pk and len(entry.details["reports"]) == 2
    assert second.pk in entry.details["reports"]


def test_only_coordinators_hide_and_only_in_their_own_community(rita, minas_offer, other_community):
    refused("not_coordinator", actions.hide_listing, rita, minas_offer, "I do not like it.")
    hillside_coordinator = CoordinatorFactory(community=other_community)
    refused("listing_unknown", actions.hide_listing, hillside_coordinator, minas_offer, "Spam.")


def test_hiding_needs_a_reason_and_happens_once(coordinator, minas_offer):
    refused("reason_required", actions.hide_listing, coordinator, minas_offer, "  ")
    actions.hide_listing(coordinator, minas_offer, "Spam.")
    refused("already_hidden", actions.hide_listing, coordinator, minas_offer, "Spam again.")


def test_showing_an_ad_again_puts_it_back_and_is_audited(rita, member, coordinator, minas_offer):
    actions.hide_listing(coordinator, minas_offer, "Looked like a scam.")

    actions.unhide_listing(coordinator, minas_offer, "Talked to Mina: a misunderstanding.")

    assert listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    minas_offer.refresh_from_db()
    assert (minas_offer.hidden_at, minas_offer.hidden_by, minas_offer.hidden_reason) == (None, None, "")
    entry = AuditEntry.objects.get(action="market.listing_unhidden")
    assert entry.reason == "Talked to Mina: a misunderstanding." and entry.details["before"]["reason"]
    assert notices("market.content_moderated", member)[-1].subject == "Your offer “Gardening help” is shown again"
    refused("not_hidden", actions.unhide_listing, coordinator, minas_offer)


def test_hiding_a_message_hides_it_from_the_thread_and_closes_its_reports(rita, member, coordinator, thread):
    report = actions.report_message(rita, thread, "offensive")

    actions.hide_message(coordinator, thread, "Insulting another member.")

    thread.refresh_from_db()
    assert thread.hidden_by == coordinator and thread.hidden_at is not None
    assert not access.visible_messages(rita).filter(pk=thread.pk).exists()
    report.refresh_from_db()
    assert report.status == ReportStatus.ACTIONED
    entry = AuditEntry.objects.get(action="market.message_hidden")
    assert entry.member == member and entry.details["reports"] == [report.pk]
    (notice,) = notices("market.content_moderated", member)
    assert "Insulting another member." in notice.body


def test_dismissing_a_report_dismisses_every_open_report_of_the_same_ad(rita, coordinator, minas_offer):
    first = actions.report_listing(rita, minas_offer, "spam")
    other = actions.report_listing(MemberFactory(community=rita.community), minas_offer, "other")

    assert actions.dismiss_report(coordinator, first, "An ordinary offer.") == 2

    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.DISMISSED}
    assert listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    entry = AuditEntry.objects.get(action="market.report_dismissed")
    assert sorted(entry.details["reports"]) == sorted([first.pk, other.pk]) and entry.reason == "An ordinary offer."
    refused("report_closed", actions.dismiss_report, coordinator, first)


def test_a_member_cannot_dismiss_a_report(rita, member, minas_offer):
    report = actions.report_listing(rita, minas_offer, "spam")
    refused("not_coordinator", actions.dismiss_report, member, report)


def test_resolving_a_report_hides_what_it_is_about(rita, coordinator, minas_offer):
    report = actions.report_listing(rita, minas_offer, "unsafe")

    resolved = actions.resolve_report(coordinator, report, "hide", "Unsafe: sharp tools for children.")

    assert resolved.status == ReportStatus.ACTIONED
    minas_offer.refresh_from_db()
    assert minas_offer.hidden_reason == "Unsafe: sharp tools for children."
    refused("report_closed", actions.resolve_report, coordinator, resolved, "hide", "Again")
    refused("decision_unknown", actions.resolve_report, coordinator, resolved, "delete", "")


def test_coordinators_see_how_many_things_of_the_same_person_were_hidden_lately(
    rita, member, coordinator, community, gardening
):
    ads = ListingFactory.create_batch(3, community=community, member=member, category=gardening)
    reports = [actions.report_listing(rita, ad, "spam") for ad in ads]
    actions.hide_listing(coordinator, ads[0], "Spam.")
    actions.hide_listing(coordinator, ads[1], "Spam.")

    pattern = access.patterns(coordinator, {member.pk, rita.pk})

    assert pattern[member.pk].hidden_count == 2 and pattern[rita.pk].hidden_count == 0
    assert reports[2].about_id == member.pk


# --- Blocks --------------------------------------------------------------------------------------------------------


def test_blocked_member_ids_holds_both_directions_in_one_query(rita, member, community, django_assert_num_queries):
    sam = MemberFactory(community=community, display_name="Sam")
    actions.block_member(member, rita)  # Mina blocked Rita
    actions.block_member(sam, member)  # Sam blocked Mina

    with django_assert_num_queries(1):
        assert access.blocked_member_ids(member) == {rita.pk, sam.pk}
    assert access.blocked_member_ids(rita) == {member.pk}
    assert access.blocked_member_ids(sam) == {member.pk}
    assert access.blocked_between(rita, member) and access.blocked_between(member, rita)
    assert not access.blocked_between(rita, sam)


def test_a_block_hides_each_others_ads_both_ways(rita, member, minas_offer, gardening):
    ritas_request = ListingFactory(community=rita.community, member=rita, category=gardening, kind="request")

    actions.block_member(rita, member)

    assert not listing_access.visible_listings(rita).filter(pk=minas_offer.pk).exists()
    assert not listing_access.visible_listings(member).filter(pk=ritas_request.pk).exists()


def test_blocking_twice_changes_nothing_and_unblocking_lifts_only_your_own_block(rita, member):
    block, created = actions.block_member(rita, member)
    again, created_again = actions.block_member(rita, member)
    assert created and not created_again and again.pk == block.pk
    actions.block_member(member, rita)

    assert actions.unblock_member(rita, member) is True
    assert actions.unblock_member(rita, member) is False
    assert access.blocked_member_ids(rita) == {member.pk}  # Mina's block of Rita stays
    assert list(access.my_blocks(rita)) == []


def test_nobody_blocks_themselves_or_someone_of_another_community(member, outsider):
    refused("block_yourself", actions.block_member, member, member)
    refused("member_unknown", actions.block_member, member, outsider)


def test_blocks_are_private_to_each_community(member, outsider, other_community):
    hillside_neighbour = MemberFactory(community=other_community)
    actions.block_member(outsider, hillside_neighbour)
    assert access.blocked_member_ids(member) == set()


# --- The tables' own constraints -----------------------------------------------------------------------------------


def test_a_report_names_exactly_one_thing(rita, member, minas_offer, thread):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(community=rita.community, reporter=rita, about=member, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            community=rita.community, reporter=rita, about=member, reason="spam", listing=minas_offer, message=thread
        )


def test_one_open_report_per_person_and_thing_and_never_of_yourself(rita, member, minas_offer):
    Report.objects.create(community=rita.community, reporter=rita, about=member, reason="spam", listing=minas_offer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(community=rita.community, reporter=rita, about=member, reason="scam", listing=minas_offer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            community=rita.community, reporter=member, about=member, reason="scam", listing=minas_offer
        )


def test_a_block_is_once_per_pair_and_never_of_yourself(rita, member):
    Block.objects.create(community=rita.community, blocker=rita, blocked=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(community=rita.community, blocker=rita, blocked=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(community=rita.community, blocker=rita, blocked=rita)
