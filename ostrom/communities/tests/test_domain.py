"""The people rules as plain functions: no database, no requests. Examples first, then properties."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from ostrom.communities import domain
from ostrom.communities.domain import DomainError, JoinPolicy, Role, Status

# A UK mobile number that libphonenumber itself validates (the drama range is a special case, tested below).
MOBILE_E164 = "+447911123456"


def raises_code(code: str, function, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        function(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message  # every error speaks to a person
    return caught.value


# Phone numbers


@pytest.mark.parametrize(
    "spelling",
    [
        "07911 123456",
        "07911123456",
        " 07911 123456 ",
        "(07911) 123 456",
        "07911-123-456",
        "07911.123.456",
        "+44 7911 123456",
        "+447911123456",
        "+44 (0)7911 123456",
        "0044 7911 123456",
        "00447911123456",
        "447911123456",
    ],
)
def test_a_uk_mobile_typed_any_usual_way_becomes_the_same_e164_number(spelling):
    assert domain.normalise_phone(spelling) == MOBILE_E164


@pytest.mark.parametrize("spelling", ["07700 900123", "+44 7700 900123", "0044 7700 900 123"])
def test_ofcoms_drama_numbers_are_accepted_for_examples_and_demo_data(spelling):
    assert domain.normalise_phone(spelling) == "+447700900123"


def test_numbers_next_to_the_drama_range_are_still_checked():
    raises_code("invalid_phone", domain.normalise_phone, "07700 901123")


@pytest.mark.parametrize("garbage", ["hello", "12", "07911 12345", "07911 1234567", "0791l 123456", "++44"])
def test_it_rejects_something_that_is_not_a_phone_number(garbage):
    error = raises_code("invalid_phone", domain.normalise_phone, garbage)
    assert error.field == "phone"


def test_an_empty_phone_number_is_reported_as_missing_not_invalid():
    raises_code("phone_required", domain.normalise_phone, "   ")


UK_PREFIXES = st.sampled_from(["0", "+44", "+44 ", "0044 ", "+44 (0)", "44"])
SEPARATORS = st.sampled_from(["", "", " ", "-", "."])


@given(
    prefix=UK_PREFIXES, separators=st.lists(SEPARATORS, min_size=10, max_size=10), padding=st.sampled_from(["", " "])
)
def test_any_spelling_of_one_mobile_normalises_to_one_number(prefix, separators, padding):
    digits = "7911123456"
    spelled = "".join(digit + separator for digit, separator in zip(digits, separators, strict=True))
    assert domain.normalise_phone(padding + prefix + spelled + padding) == MOBILE_E164


@given(st.text(alphabet=st.characters(exclude_categories=("Nd",)), max_size=40))
def test_text_without_digits_is_never_accepted_as_a_phone_number(text):
    with pytest.raises(DomainError) as caught:
        domain.normalise_phone(text)
    assert caught.value.code in {"invalid_phone", "phone_required"}


@given(st.from_regex(r"\A07[1-9][0-9]{8}\Z"))
def test_a_normalised_number_is_e164_and_normalising_again_changes_nothing(raw):
    try:
        number = domain.normalise_phone(raw)
    except DomainError as error:
        assert error.code == "invalid_phone"
        return
    assert re.fullmatch(r"\+44[0-9]{10}", number)
    assert domain.normalise_phone(number) == number


def test_a_number_is_shown_the_way_people_write_it():
    assert domain.format_phone(MOBILE_E164) == "+44 7911 123456"


@pytest.mark.parametrize(
    ("identifier", "is_phone"),
    [("07911 123456", True), ("+44 7911 123456", True), ("mina@example.org", False), ("123@example.org", False)],
)
def test_a_login_identifier_that_is_mostly_digits_is_a_phone_number(identifier, is_phone):
    assert domain.looks_like_phone(identifier) is is_phone


def test_emails_are_trimmed_and_lower_cased():
    assert domain.normalise_email("  Mina@Example.ORG ") == "mina@example.org"


# Tags


def test_tags_are_split_trimmed_lower_cased_and_deduplicated_in_the_order_given():
    assert domain.parse_tags("Gardening, DIY,  dog   walking, ,diy") == ["gardening", "diy", "dog walking"]


def test_tags_can_be_given_as_a_list():
    assert domain.parse_tags(["Polish", " polish ", "Welsh"]) == ["polish", "welsh"]


def test_more_than_the_maximum_number_of_tags_is_refused_and_names_the_field():
    many = ", ".join(f"skill {n}" for n in range(domain.MAX_TAGS + 1))
    error = raises_code("too_many_tags", domain.parse_tags, many, "interests")
    assert error.field == "interests"


def test_exactly_the_maximum_number_of_tags_is_allowed():
    assert len(domain.parse_tags([f"skill {n}" for n in range(domain.MAX_TAGS)])) == domain.MAX_TAGS


def test_a_tag_longer_than_the_limit_is_refused():
    raises_code("tag_too_long", domain.parse_tags, "x" * (domain.MAX_TAG_LENGTH + 1))


TAG_INPUT = st.one_of(st.text(max_size=300), st.lists(st.text(max_size=30), max_size=30))


def parsed_or_none(raw):
    try:
        return domain.parse_tags(raw)
    except DomainError as error:
        assert error.code in {"too_many_tags", "tag_too_long"}
        return None


@given(TAG_INPUT)
def test_parsing_tags_twice_gives_the_same_tags(raw):
    tags = parsed_or_none(raw)
    assume(tags is not None)
    assert domain.parse_tags(tags) == tags


@given(TAG_INPUT)
def test_parsed_tags_are_few_short_distinct_lower_case_and_trimmed(raw):
    tags = parsed_or_none(raw)
    assume(tags is not None)
    assert len(tags) <= domain.MAX_TAGS
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert tag == tag.lower()
        assert tag == " ".join(tag.split()) != ""
        assert len(tag) <= domain.MAX_TAG_LENGTH


@given(st.text(max_size=300))
def test_tags_typed_in_a_form_survive_being_shown_again_and_resubmitted(raw):
    tags = parsed_or_none(raw)
    assume(tags is not None)
    assert domain.parse_tags(", ".join(tags)) == tags


# Postcode districts


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("LS6", "LS6"), ("ls6", "LS6"), (" m1 ", "M1"), ("SW1A", "SW1A"), ("EC1V", "EC1V"), ("B33", "B33"), ("", "")],
)
def test_a_postcode_district_is_accepted_in_capitals(typed, stored):
    assert domain.normalise_postcode_district(typed) == stored


@pytest.mark.parametrize("full_postcode", ["LS6 1AB", "M1 1AE", "SW1A 1AA", "ls61ab", "SW1A1AA"])
def test_a_full_postcode_is_refused_to_protect_privacy(full_postcode):
    error = raises_code("postcode_too_precise", domain.normalise_postcode_district, full_postcode)
    assert error.field == "postcode_district"


@pytest.mark.parametrize("nonsense", ["6LS", "ABC", "L", "!!", "LS-6"])
def test_something_that_is_not_a_postcode_district_is_refused(nonsense):
    raises_code("invalid_postcode_district", domain.normalise_postcode_district, nonsense)


@given(st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}\Z"))
def test_no_full_postcode_is_ever_stored(full_postcode):
    raises_code("postcode_too_precise", domain.normalise_postcode_district, full_postcode)


# Rough location

LATITUDES = st.floats(min_value=-90, max_value=90, allow_nan=False)
LONGITUDES = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(LATITUDES, LONGITUDES)
def test_a_location_is_rounded_to_about_100_metres_and_stays_close(latitude, longitude):
    lat, lon = domain.round_location(latitude, longitude)
    for rounded, given_value in ((lat, latitude), (lon, longitude)):
        assert rounded.as_tuple().exponent == -3
        assert abs(rounded - Decimal(str(given_value))) <= Decimal("0.0005")


@given(LATITUDES, LONGITUDES)
def test_rounding_a_rounded_location_changes_nothing(latitude, longitude):
    rounded = domain.round_location(latitude, longitude)
    assert domain.round_location(*rounded) == rounded


def test_a_location_given_as_text_is_rounded():
    assert domain.round_location("53.80751", "-1.55478") == (Decimal("53.808"), Decimal("-1.555"))


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [(90.0004, 0, "latitude"), (-91, 0, "latitude"), (0, 180.0004, "longitude"), (0, -200, "longitude")],
)
def test_a_location_off_the_globe_is_refused(latitude, longitude, field):
    error = raises_code("invalid_location", domain.round_location, latitude, longitude)
    assert error.field == field


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("north", "1"), (None, 1), (float("nan"), 0), (0, float("inf")), ("NaN", "0"), ("-Infinity", "0")],
)
def test_a_location_that_is_not_two_numbers_is_refused(latitude, longitude):
    raises_code("invalid_location", domain.round_location, latitude, longitude)


@given(st.one_of(st.floats(min_value=90, exclude_min=True), st.floats(max_value=-90, exclude_max=True)), LONGITUDES)
def test_no_latitude_beyond_the_poles_is_accepted(latitude, longitude):
    raises_code("invalid_location", domain.round_location, latitude, longitude)


# Joining and roles


@pytest.mark.parametrize(
    ("policy", "invited", "status"),
    [
        (JoinPolicy.OPEN, False, Status.ACTIVE),
        (JoinPolicy.OPEN, True, Status.ACTIVE),
        (JoinPolicy.APPROVAL, False, Status.PENDING),
        (JoinPolicy.APPROVAL, True, Status.ACTIVE),
        (JoinPolicy.INVITATION, True, Status.ACTIVE),
    ],
)
def test_the_join_policy_decides_the_status_of_a_new_member(policy, invited, status):
    assert domain.initial_status(policy, invited=invited) == status


def test_an_invitation_only_community_refuses_people_without_an_invitation():
    raises_code("invitation_required", domain.initial_status, JoinPolicy.INVITATION, invited=False)


@pytest.mark.parametrize(
    ("actor", "roles"),
    [
        (Role.ADMIN, [Role.MEMBER, Role.STAFF, Role.COORDINATOR, Role.ADMIN]),
        (Role.COORDINATOR, [Role.MEMBER, Role.STAFF]),
        (Role.STAFF, []),
        (Role.MEMBER, []),
    ],
)
def test_who_can_give_which_roles(actor, roles):
    assert sorted(domain.assignable_roles(actor)) == sorted(roles)


M, S, C, A = Role.MEMBER, Role.STAFF, Role.COORDINATOR, Role.ADMIN
# (actor, from, to, has organisation, error code or None when allowed)
ROLE_CHANGES = [
    (C, M, S, True, None),
    (C, S, M, False, None),
    (C, M, S, False, "organisation_required"),
    (C, M, C, False, "role_not_allowed"),
    (C, M, A, False, "role_not_allowed"),
    (C, C, M, False, "role_not_allowed"),
    (C, A, M, False, "role_not_allowed"),
    (A, M, C, False, None),
    (A, C, M, False, None),
    (A, M, A, False, None),
    (A, A, M, False, None),
    (A, M, S, False, "organisation_required"),
    (S, M, S, True, "role_not_allowed"),
    (M, M, C, False, "role_not_allowed"),
]


@pytest.mark.parametrize(("actor", "current", "new", "has_organisation", "code"), ROLE_CHANGES)
def test_role_changes_follow_the_table(actor, current, new, has_organisation, code):
    if code is None:
        domain.check_role_change(actor, current, new, has_organisation)
    else:
        raises_code(code, domain.check_role_change, actor, current, new, has_organisation)


# Privacy

ALL = domain.Visibility(email=True, phone=True, location=True, contact_details=True)


@pytest.mark.parametrize(
    ("is_self", "coordinator", "shares", "expected"),
    [
        (True, False, (False, False, False), ALL),
        (False, True, (False, False, False), ALL),
        (False, False, (False, False, False), domain.Visibility(False, False, False, False)),
        (False, False, (True, False, False), domain.Visibility(True, False, False, False)),
        (False, False, (False, True, False), domain.Visibility(False, True, False, False)),
        (False, False, (False, False, True), domain.Visibility(False, False, True, False)),
        (False, False, (True, True, True), domain.Visibility(True, True, True, False)),
    ],
)
def test_members_choose_what_others_see_and_coordinators_see_everything(is_self, coordinator, shares, expected):
    share_email, share_phone, share_location = shares
    visibility = domain.profile_visibility(
        is_self=is_self,
        viewer_coordinates=coordinator,
        share_email=share_email,
        share_phone=share_phone,
        share_location=share_location,
    )
    assert visibility == expected


# Tokens and pseudonyms


def test_a_new_token_is_returned_with_the_hash_that_is_stored_in_its_place():
    secret, token_hash = domain.new_token("ost_")
    assert secret.startswith("ost_")
    assert len(secret) >= 40
    assert token_hash == domain.hash_token(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash)
    assert secret not in token_hash


def test_two_tokens_are_never_the_same():
    secrets = {domain.new_token()[0] for _ in range(50)}
    assert len(secrets) == 50


@given(st.text(), st.text())
def test_a_token_hash_matches_only_its_own_secret(one, other):
    assert (domain.hash_token(one) == domain.hash_token(other)) == (one == other)


def test_a_pseudonym_is_stable_and_differs_between_members():
    assert domain.pseudonym(7) == domain.pseudonym(7)
    assert domain.pseudonym(7) != domain.pseudonym(8)
    assert domain.pseudonym(7).startswith("Former member ")


def test_the_directory_searches_name_skills_interests_and_area_in_lower_case():
    assert domain.search_text("Mina", ["gardening"], ["chess"], "LS6") == "mina gardening chess ls6"


def test_a_time_zone_must_be_a_real_one():
    domain.validate_time_zone("Europe/London")
    with pytest.raises(ValidationError):
        domain.validate_time_zone("Mars/Olympus_Mons")
