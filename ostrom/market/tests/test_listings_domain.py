"""The rules an offer or a request must follow, as plain functions: titles, descriptions, tags, end dates, prices,
photos (checked by what Pillow finds in them, not by their name), the posting limit and the status changes."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from ostrom.communities.domain import DomainError
from ostrom.market.domain import listings as rules
from ostrom.market.models import listings as models

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.message.strip()
    return caught.value


def picture(kind: str = "JPEG", size: tuple[int, int] = (40, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, kind, **save)
    return out.getvalue()


def test_the_rules_and_the_tables_agree_on_lengths():
    assert rules.TITLE_MAX_CHARS == models.TITLE_MAX_CHARS
    assert rules.DESCRIPTION_MAX_CHARS == models.DESCRIPTION_MAX_CHARS
    assert rules.MAX_TAGS == models.MAX_TAGS
    assert rules.TAG_MAX_CHARS == models.TAG_MAX_CHARS


# Titles and descriptions


def test_a_title_is_trimmed_onto_one_line():
    assert rules.clean_title("  Help with\n the   garden ") == "Help with the garden"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "title_required"), ("   ", "title_required"), ("Hi", "title_too_short"), ("x" * 121, "title_too_long")],
)
def test_it_refuses_an_empty_short_or_long_title(raw, code):
    error = refused(rules.clean_title, raw)
    assert (error.code, error.field) == (code, "title")


def test_a_title_of_exactly_the_limits_is_fine():
    assert rules.clean_title("abc") == "abc"
    assert len(rules.clean_title("x" * 120)) == 120


def test_a_description_keeps_its_line_breaks():
    assert rules.clean_description("Weeding.\r\nPlanting too.  ") == "Weeding.\nPlanting too."


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "description_required"), ("Too short", "description_too_short"), ("x" * 4001, "description_too_long")],
)
def test_it_refuses_an_empty_short_or_long_description(raw, code):
    assert refused(rules.clean_description, raw).code == code


def test_it_refuses_text_with_nul_characters():
    assert refused(rules.clean_title, "Garden\x00help").code == "invalid_characters"


def test_a_place_name_is_at_most_80_characters():
    assert rules.clean_place_name(" Mill  Lane ") == "Mill Lane"
    assert refused(rules.clean_place_name, "x" * 81).code == "place_too_long"


# Tags


def test_tags_are_lower_case_trimmed_and_distinct_in_the_order_given():
    assert rules.normalise_tags(" Gardening, DIY ,gardening,, dog   walking ") == ["gardening", "diy", "dog walking"]


def test_tags_may_use_letters_of_any_language_digits_and_hyphens():
    assert rules.normalise_tags(["Café", "Zoë", "3-d printing", "Łódź"]) == ["café", "zoë", "3-d printing", "łódź"]


@pytest.mark.parametrize("tag", ["#garden", "dogs & cats", "c++", "a/b"])
def test_it_refuses_tags_with_other_characters(tag):
    error = refused(rules.normalise_tags, [tag])
    assert (error.code, error.field) == ("tag_invalid", "tags")


def test_it_refuses_more_than_twelve_tags_or_a_tag_over_30_characters():
    assert refused(rules.normalise_tags, [f"tag {n}" for n in range(13)]).code == "too_many_tags"
    assert rules.normalise_tags([f"tag {n}" for n in range(12)])[-1] == "tag 11"
    assert refused(rules.normalise_tags, ["x" * 31]).code == "tag_too_long"


# Mostly what people type (letters of several scripts, spaces, hyphens, commas), sometimes anything at all.
typed = st.text(alphabet=st.sampled_from("aBzÉéßİıΣσς- \t,1"), max_size=40)
anything = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
tag_text = typed | anything


@given(st.lists(tag_text, max_size=20) | tag_text.map(lambda text: text))
def test_normalising_tags_twice_changes_nothing(raw):
    try:
        once = rules.normalise_tags(raw)
    except DomainError:
        return
    assert rules.normalise_tags(once) == once
    assert rules.normalise_tags(", ".join(once)) == once
    assert len(once) == len(set(once)) <= rules.MAX_TAGS
    assert all(tag == tag.strip().lower() and 0 < len(tag) <= rules.TAG_MAX_CHARS for tag in once)


# Availability, place and duration


def test_availability_uses_the_profiles_words_in_the_profiles_order():
    assert rules.clean_availability(["weekends", "weekday-mornings", "weekends"]) == ["weekday-mornings", "weekends"]
    assert refused(rules.clean_availability, ["midnight"]).code == "availability_invalid"


def test_a_location_is_rounded_to_about_100_metres_and_needs_both_numbers():
    latitude, longitude = rules.clean_location(53.80049, -1.54912)
    assert (str(latitude), str(longitude)) == ("53.800", "-1.549")
    assert rules.clean_location(None, None) == (None, None)
    assert refused(rules.clean_location, 53.8, None).code == "location_incomplete"


@pytest.mark.parametrize("minutes", [0, -5, 6001, 1.5, True])
def test_it_refuses_a_duration_that_is_not_1_minute_to_100_hours(minutes):
    assert refused(rules.clean_estimated_minutes, minutes).field == "estimated_minutes"


# End dates


def test_an_ad_runs_60_days_by_default():
    assert rules.default_expiry(NOW) == NOW + timedelta(days=60)


def test_an_end_date_must_be_in_the_future_and_within_180_days():
    assert rules.check_expiry(NOW + timedelta(days=180), NOW) == NOW + timedelta(days=180)
    assert refused(rules.check_expiry, NOW, NOW).code == "expiry_in_past"
    assert refused(rules.check_expiry, NOW - timedelta(days=1), NOW).code == "expiry_in_past"
    assert refused(rules.check_expiry, NOW + timedelta(days=180, seconds=1), NOW).code == "expiry_too_far"


def test_an_end_date_is_the_end_of_that_day_in_the_communitys_time_zone():
    end = rules.end_of_day(date(2026, 7, 1), "Europe/London")
    assert end.astimezone(UTC) == datetime(2026, 7, 1, 22, 59, tzinfo=UTC)


# Prices


def test_an_organisations_offer_can_have_a_price_in_credits():
    assert rules.check_price(kind="offer", for_organisation=True, amount=100, currency_kind="credit") == (100, True)
    assert rules.check_price(kind="offer", for_organisation=True, amount=None, currency_kind=None) == (None, False)


@pytest.mark.parametrize(
    ("kind", "for_organisation", "amount", "currency_kind", "code"),
    [
        ("offer", False, 100, "credit", "price_not_allowed"),
        ("request", True, 100, "credit", "price_not_allowed"),
        ("offer", True, 100, "time", "price_currency_invalid"),
        ("offer", True, 100, None, "price_currency_required"),
        ("offer", True, None, "credit", "price_amount_required"),
        ("offer", True, 0, "credit", "price_invalid"),
        ("offer", True, -1, "credit", "price_invalid"),
        ("offer", True, 10**9 + 1, "credit", "price_too_large"),
    ],
)
def test_it_refuses_a_price_anywhere_else(kind, for_organisation, amount, currency_kind, code):
    error = refused(
        rules.check_price, kind=kind, for_organisation=for_organisation, amount=amount, currency_kind=currency_kind
    )
    assert error.code == code


# Posting rate


def test_a_member_may_post_ten_ads_a_day():
    rules.check_posting_rate(9)
    assert refused(rules.check_posting_rate, 10).code == "posting_rate_limited"


# Status


@pytest.mark.parametrize(
    ("current", "action", "result"),
    [
        ("draft", "publish", "active"),
        ("active", "pause", "paused"),
        ("paused", "resume", "active"),
        ("expired", "renew", "active"),
        ("paused", "renew", "active"),
        ("active", "close", "closed"),
        ("draft", "close", "closed"),
        ("paused", "expire", "expired"),
    ],
)
def test_an_ad_moves_between_states(current, action, result):
    assert rules.next_status(current, action) == result


@pytest.mark.parametrize(
    ("current", "action"),
    [("active", "publish"), ("active", "resume"), ("draft", "pause"), ("closed", "renew"), ("expired", "resume")],
)
def test_it_refuses_a_change_the_state_does_not_allow(current, action):
    assert refused(rules.next_status, current, action).code == "wrong_status"


def test_a_closed_ad_cannot_be_edited():
    rules.check_editable("expired")
    assert refused(rules.check_editable, "closed").code == "wrong_status"


# Photos


@pytest.mark.parametrize(("kind", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_it_accepts_jpeg_png_and_webp(kind, extension):
    clean = rules.clean_photo(picture(kind))
    assert (clean.extension, clean.width, clean.height) == (extension, 40, 30)
    assert Image.open(io.BytesIO(clean.content)).format == kind


def test_it_refuses_other_pictures_and_files_that_only_look_like_pictures():
    assert refused(rules.clean_photo, picture("GIF")).code == "photo_not_image"
    assert refused(rules.clean_photo, b"%PDF-1.7 not a photo at all").code == "photo_not_image"
    assert refused(rules.clean_photo, picture("JPEG")[:60]).code == "photo_not_image"


def test_it_refuses_a_photo_over_5_mb_before_reading_it():
    assert refused(rules.check_photo_size, 5 * 1024 * 1024 + 1).code == "photo_too_large"
    assert refused(rules.clean_photo, b"\xff" * (5 * 1024 * 1024 + 1)).code == "photo_too_large"
    assert refused(rules.clean_photo, b"").code == "photo_empty"


def test_it_refuses_a_picture_of_absurd_dimensions():
    assert refused(rules.check_photo_dimensions, 10_001, 10).code == "photo_dimensions"
    assert refused(rules.check_photo_dimensions, 8_000, 8_000).code == "photo_dimensions"
    wide = picture("PNG", (10_001, 1))
    assert refused(rules.clean_photo, wide).code == "photo_dimensions"


def test_a_kept_photo_is_at_most_1600_pixels_and_has_no_location_in_it():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (53.0, 48.0, 1.0)}  # GPSInfo: where the phone was
    original = picture("JPEG", (3200, 1600), exif=exif)
    assert b"Exif" in original[:200]

    clean = rules.clean_photo(original)

    assert (clean.width, clean.height) == (1600, 800)
    assert b"Exif" not in clean.content[:200]
    assert Image.open(io.BytesIO(clean.content)).getexif().get(0x8825) is None


# SMS titles


def test_an_sms_title_is_the_first_words_cut_between_words():
    text = "help with gardening, weeding and planting on Saturday mornings around Mill Lane and the park"
    title = rules.title_from_text(text)
    assert title == "Help with gardening, weeding and planting on Saturday"
    assert len(title) <= rules.SMS_TITLE_CHARS
    assert rules.title_from_text("dog walks") == "Dog walks"
