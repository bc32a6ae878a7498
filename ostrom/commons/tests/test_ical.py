"""The iCalendar writer and the feeds: lines end in CRLF and fold at 75 octets without splitting a character; text
is escaped; times are UTC; UIDs are stable. An asset's public feed shows busy times as "Booked" and never a name,
and a wrong token is a 404; a member's feed has their own bookings and shifts, behind a signed token."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ostrom.commons import ical
from ostrom.commons.access import assets as access
from ostrom.commons.models import Booking, BookingStatus, BookingUnit, Shift, ShiftAssignment, Team
from ostrom.commons.tests.factories import AssetFactory

STAMP = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def unfold(text: str) -> list[str]:
    """Content lines as a calendar app reads them: CRLF + space joins a folded line back."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def test_a_calendar_has_the_required_parts():
    event = ical.CalendarEvent(
        uid="booking-1@ostrom.commons", start=STAMP, end=STAMP + timedelta(hours=2), summary="Booked"
    )

    lines = unfold(ical.calendar("Kitchen", [event], STAMP))

    assert lines[:4] == ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{ical.PRODID}", "CALSCALE:GREGORIAN"]
    assert lines[-1] == "END:VCALENDAR"
    assert "DTSTART:20260302T180000Z" in lines and "DTEND:20260302T200000Z" in lines
    assert "DTSTAMP:20260302T180000Z" in lines and "UID:booking-1@ostrom.commons" in lines
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1


def test_times_are_written_in_utc():
    summer = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.get_fixed_timezone(60))
    assert ical.utc_stamp(summer) == "20260701T180000Z"


def test_text_is_escaped():
    assert ical.escape_text("Tea, cake; and \\ more\r\nnext\nline") == "Tea\\, cake\\; and \\\\ more\\nnext\\nline"


@given(st.text(max_size=300))
def test_any_text_survives_escaping_and_folding(text):
    event = ical.CalendarEvent(uid="x@y", start=STAMP, end=STAMP + timedelta(hours=1), summary=text)

    written = ical.calendar("Feed", [event], STAMP)

    for physical in written.split("\r\n")[:-1]:
        assert len(physical.encode("utf-8")) <= 75
    summary = next(line for line in unfold(written) if line.startswith("SUMMARY:"))
    assert unescape(summary[len("SUMMARY:") :]) == text.replace("\r\n", "\n").replace("\r", "\n")


def test_long_lines_fold_without_splitting_a_character():
    line = "DESCRIPTION:" + "é" * 100

    folded = ical.fold(line)

    pieces = folded.split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line


# --- the feeds ---------------------------------------------------------------------------------------------------


@pytest.fixture
def kitchen(community):
    return AssetFactory(community=community, name="Kitchen", slug="kitchen")


def book(asset, member, start, status=BookingStatus.CONFIRMED, purpose=""):
    booking = Booking.objects.create(
        community=asset.community, member=member, asset=asset, starts_at=start, ends_at=start + timedelta(hours=2),
        status=status, purpose=purpose, hold_expires_at=start if status == BookingStatus.HELD else None,
    )  # fmt: skip
    BookingUnit.objects.create(
        community=asset.community, booking=booking, asset=asset, unit=asset.units.get(), starts_at=booking.starts_at,
        blocked_until=booking.ends_at, is_live=status in (BookingStatus.HELD, BookingStatus.CONFIRMED),
    )  # fmt: skip
    return booking


def test_the_public_feed_shows_busy_times_without_names(client, kitchen, member):
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    first = book(kitchen, member, start, purpose="Mina's birthday")
    book(kitchen, member, start + timedelta(days=1), status=BookingStatus.CANCELLED)

    response = client.get(reverse("commons-asset-feed", args=["riverside", "kitchen", kitchen.feed_token]))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    lines = unfold(text)
    assert lines.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Booked" in lines
    assert f"UID:asset-{kitchen.pk}-booking-{first.pk}@ostrom.commons" in lines
    assert "Mina" not in text and "birthday" not in text
    again = client.get(reverse("commons-asset-feed", args=["riverside", "kitchen", kitchen.feed_token]))
    assert [line for line in unfold(again.content.decode()) if line.startswith("UID")] == [
        line for line in lines if line.startswith("UID")
    ]


def test_a_wrong_token_or_community_is_a_404(client, kitchen, other_community):
    assert client.get(reverse("commons-asset-feed", args=["riverside", "kitchen", "x" * 43])).status_code == 404
    wrong_place = reverse("commons-asset-feed", args=["hillside", "kitchen", kitchen.feed_token])
    assert client.get(wrong_place).status_code == 404


def test_a_personal_feed_has_my_bookings_and_shifts_only(client, kitchen, member, coordinator):
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    mine = book(kitchen, member, start, status=BookingStatus.HELD, purpose="Soup, bread; and cake")
    book(kitchen, coordinator, start + timedelta(days=1))
    team = Team.objects.create(community=member.community, name="Lunch club", slug="lunch-club", created_by=coordinator)
    shift = Shift.objects.create(
        community=member.community, team=team, title="Cooking", starts_at=start + timedelta(days=3),
        ends_at=start + timedelta(days=3, hours=3),
    )  # fmt: skip
    ShiftAssignment.objects.create(community=member.community, shift=shift, member=member)

    token = access.personal_feed_token(member)
    lines = unfold(client.get(reverse("commons-calendar-feed", args=["riverside", token])).content.decode())

    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries == ["SUMMARY:Booked: Kitchen", "SUMMARY:Shift: Cooking (Lunch club)"]
    assert f"UID:booking-{mine.pk}@ostrom.commons" in lines and "STATUS:TENTATIVE" in lines
    assert "DESCRIPTION:Soup\\, bread\\; and cake" in lines


def test_a_personal_feed_needs_a_genuine_token(client, member, outsider):
    token = access.personal_feed_token(member)

    assert client.get(reverse("commons-calendar-feed", args=["riverside", token + "x"])).status_code == 404
    assert client.get(reverse("commons-calendar-feed", args=["hillside", token])).status_code == 404
    outsiders = access.personal_feed_token(outsider)
    assert client.get(reverse("commons-calendar-feed", args=["riverside", outsiders])).status_code == 404
    member.status = "left"
    member.save(update_fields=["status"])
    assert client.get(reverse("commons-calendar-feed", args=["riverside", token])).status_code == 404


def test_the_calendar_page_shows_my_link(member):
    client = Client()
    client.force_login(member.user)

    page = client.get(reverse("commons-calendar", args=["riverside"])).content.decode()

    assert access.personal_feed_token(member) in page
