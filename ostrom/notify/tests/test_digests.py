"""Digests: one message per member per period, from the sections apps register, exactly once however often the
task runs. Riverside is on London time (GMT in early March 2026). Monday 2 March 2026 starts ISO week 10, so the
week before is 2026-W09 (23 February to 1 March)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ostrom.communities.domain import Status
from ostrom.communities.tests.factories import CommunityFactory, MemberFactory
from ostrom.notify import registry
from ostrom.notify.actions import preferences
from ostrom.notify.actions.digests import send_digests
from ostrom.notify.domain import sms_text
from ostrom.notify.kinds import register_kinds
from ostrom.notify.models import Message, MessageStatus, NotificationSettings
from ostrom.notify.registry import DigestSection

LONDON = ZoneInfo("Europe/London")
MONDAY_7AM = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 07:00 in London
LAST_WEEK = datetime(2026, 2, 25, 15, 0, tzinfo=UTC)  # a Wednesday in 2026-W09


class Happenings:
    """What a fake app has to say about each member: (when, line) pairs; the section picks those in the period."""

    def __init__(self) -> None:
        self.lines: dict[int, list[tuple[datetime, str]]] = {}
        self.periods: list[tuple[datetime, datetime]] = []

    def add(self, member, at: datetime, line: str) -> None:
        self.lines.setdefault(member.pk, []).append((at, line))

    def build(self, member, start: datetime, end: datetime) -> list[str]:
        self.periods.append((start, end))
        return [line for at, line in self.lines.get(member.pk, []) if start <= at < end]


@pytest.fixture
def happenings():
    found = Happenings()
    with registry.isolated():
        register_kinds()
        registry.register_digest_section(DigestSection("test.balance", "Your balance", 10, found.build))
        yield found


def digests() -> list[Message]:
    return list(Message.objects.filter(kind="notify.digest").order_by("pk"))


def test_a_weekly_digest_is_written_once_even_when_the_task_runs_twice(member, happenings):
    happenings.add(member, LAST_WEEK, "Cora paid you 1 hour for gardening.")

    assert send_digests(MONDAY_7AM) == 1
    assert send_digests(MONDAY_7AM + timedelta(minutes=1)) == 0

    [digest] = digests()
    assert digest.dedupe_key == f"digest:{member.pk}:2026-W09"
    assert (digest.channel, digest.to_address, digest.status) == ("email", "mina@example.org", MessageStatus.QUEUED)
    assert digest.subject == "Your weekly digest from Riverside Timebank"
    assert "Your balance\n- Cora paid you 1 hour for gardening." in digest.body
    assert NotificationSettings.objects.get(member=member).last_digest_at == MONDAY_7AM  # the second run skipped her


def test_two_workers_that_both_find_the_member_due_still_write_one_digest(member, happenings):
    happenings.add(member, LAST_WEEK, "Cora paid you 1 hour.")
    send_digests(MONDAY_7AM)
    # The second worker read the member as due before the first recorded the digest.
    NotificationSettings.objects.filter(member=member).update(last_digest_at=None)

    assert send_digests(MONDAY_7AM) == 0

    assert len(digests()) == 1


def test_the_period_is_the_whole_local_week_before(member, happenings):
    happenings.add(member, datetime(2026, 2, 22, 23, 59, tzinfo=UTC), "Too early: the Sunday before")
    happenings.add(member, datetime(2026, 2, 23, 0, 0, tzinfo=UTC), "Monday at midnight")
    happenings.add(member, datetime(2026, 3, 1, 23, 59, tzinfo=UTC), "Sunday before midnight")
    happenings.add(member, datetime(2026, 3, 2, 0, 0, tzinfo=UTC), "Too late: this week")

    send_digests(MONDAY_7AM)

    [digest] = digests()
    assert "Monday at midnight" in digest.body and "Sunday before midnight" in digest.body
    assert "Too early" not in digest.body and "Too late" not in digest.body
    start, end = happenings.periods[-1]
    assert (start, end) == (datetime(2026, 2, 23, tzinfo=LONDON), datetime(2026, 3, 2, tzinfo=LONDON))


def test_a_digest_waits_for_seven_in_the_morning(member, happenings):
    happenings.add(member, LAST_WEEK, "Cora paid you 1 hour.")

    assert send_digests(MONDAY_7AM - timedelta(minutes=1)) == 0  # still the week before last: nothing in it
    assert send_digests(MONDAY_7AM) == 1


def test_the_period_and_the_hour_follow_the_communitys_time_zone(db, happenings):
    new_york = CommunityFactory(name="Brooklyn Timebank", slug="brooklyn", time_zone="America/New_York")
    dana = MemberFactory(community=new_york, display_name="Dana")
    happenings.add(dana, datetime(2026, 3, 2, 3, 0, tzinfo=UTC), "Sunday evening in New York")

    assert send_digests(datetime(2026, 3, 2, 11, 59, tzinfo=UTC)) == 0  # 06:59 in New York
    assert send_digests(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == 1

    start, _ = happenings.periods[-1]
    assert start == datetime(2026, 2, 23, tzinfo=ZoneInfo("America/New_York"))
    assert "Sunday evening in New York" in digests()[0].body


def test_nothing_is_sent_when_every_section_is_empty_and_the_period_counts_as_done(member, happenings):
    assert send_digests(MONDAY_7AM) == 0

    assert digests() == []
    assert NotificationSettings.objects.get(member=member).last_digest_at == MONDAY_7AM
    happenings.add(member, LAST_WEEK, "Added too late to count")
    assert send_digests(MONDAY_7AM + timedelta(hours=1)) == 0


def test_a_daily_digest_covers_the_day_before(member, happenings):
    preferences.set_digest(member, "daily")
    happenings.add(member, datetime(2026, 3, 2, 18, 0, tzinfo=UTC), "Amara asked you for 2 hours.")

    assert send_digests(datetime(2026, 3, 3, 7, 0, tzinfo=UTC)) == 1
    assert send_digests(datetime(2026, 3, 4, 7, 0, tzinfo=UTC)) == 0  # nothing happened on the Tuesday

    [digest] = digests()
    assert digest.dedupe_key == f"digest:{member.pk}:2026-03-02"
    assert digest.subject == "Your daily digest from Riverside Timebank"
    assert "on Monday 2 March" in digest.body


def test_members_who_turned_digests_off_or_are_not_active_get_none(community, member, happenings):
    preferences.set_digest(member, "off")
    suspended = MemberFactory(community=community, status=Status.SUSPENDED)
    left = MemberFactory(community=community, status=Status.LEFT)
    for someone in (member, suspended, left):
        happenings.add(someone, LAST_WEEK, "Something happened")

    assert send_digests(MONDAY_7AM) == 0
    assert digests() == []


def test_an_sms_digest_is_plain_gsm7_and_cut_to_fit(member, happenings):
    member.user.phone = "+447700900123"
    member.user.save(update_fields=["phone"])
    preferences.set_digest(member, "weekly", "sms")
    for n in range(40):
        happenings.add(member, LAST_WEEK, f"Neighbour {n} paid you 1 hour for “gardening” — thanks!")

    send_digests(MONDAY_7AM)

    [digest] = digests()
    assert (digest.channel, digest.to_address, digest.subject) == ("sms", "+447700900123", "")
    assert sms_text.is_gsm7(digest.body)
    assert len(sms_text.segments(digest.body)) <= sms_text.MAX_SEGMENTS
    assert digest.body.startswith("Riverside Timebank digest 2026-W09. Your balance: Neighbour 0 paid you")


def test_sections_appear_in_their_order_and_a_broken_one_is_left_out(member, happenings):
    def broken(member, start, end):
        raise RuntimeError("the app's query failed")

    registry.register_digest_section(DigestSection("test.broken", "Broken", 5, broken))
    registry.register_digest_section(
        DigestSection("test.requests", "Waiting for you", 1, lambda m, s, e: ["A request"])
    )
    happenings.add(member, LAST_WEEK, "A payment")

    assert send_digests(MONDAY_7AM) == 1

    body = digests()[0].body
    assert body.index("Waiting for you") < body.index("Your balance")
    assert "Broken" not in body


def test_a_long_section_is_summed_up_rather_than_listed_in_full(member, happenings):
    for n in range(30):
        happenings.add(member, LAST_WEEK, f"Payment {n}")

    send_digests(MONDAY_7AM)

    body = digests()[0].body
    assert "- Payment 18" in body and "Payment 19" not in body and "- and 11 more" in body


def test_a_run_looks_at_no_more_members_than_its_limit_and_the_next_run_carries_on(community, member, happenings):
    others = [MemberFactory(community=community) for _ in range(2)]
    for someone in (member, *others):
        happenings.add(someone, LAST_WEEK, "Something happened")

    assert send_digests(MONDAY_7AM, limit=2) == 2
    assert send_digests(MONDAY_7AM + timedelta(minutes=1), limit=2) == 1
    assert send_digests(MONDAY_7AM + timedelta(minutes=2), limit=2) == 0

    assert {m.member_id for m in digests()} == {member.pk, *(o.pk for o in others)}
