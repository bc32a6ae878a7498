"""The exchange state machine and its checks as pure functions: no database, no request."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.market.domain import exchanges as domain
from ostrom.market.domain.exchanges import Role, Status, Step

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
GIVER, RECEIVER, CORA, TESS = 1, 2, 3, 4

roles = st.frozensets(st.sampled_from(list(Role)), max_size=1)
statuses = st.sampled_from(list(Status))
steps = st.sampled_from(list(Step))


def code_of(step, roles_, status) -> str | None:
    try:
        domain.check(step, roles_, status)
    except DomainError as error:
        return error.code
    return None


@given(steps, roles, statuses)
def test_a_page_offers_exactly_the_steps_the_check_allows(step, roles_, status):
    assert (code_of(step, roles_, status) is None) == (step in domain.allowed_steps(roles_, status))


@given(steps, statuses)
def test_someone_with_no_part_in_an_exchange_can_do_nothing_with_it(step, status):
    assert code_of(step, frozenset(), status) == "exchange_not_yours"


@given(steps, roles)
def test_nothing_but_a_message_a_thanks_or_sharing_follows_confirmation(step, roles_):
    code = code_of(step, roles_, Status.CONFIRMED)
    if step in (Step.WRITE, Step.THANK, Step.SHARE):
        return
    assert code in ("already_confirmed", "wrong_party", "exchange_not_yours")


def test_roles_a_coordinator_in_the_exchange_is_only_that_person():
    assert domain.roles_for(GIVER, is_coordinator=True, giver_id=GIVER, receiver_id=RECEIVER) == {Role.GIVER}
    assert domain.roles_for(CORA, is_coordinator=True, giver_id=GIVER, receiver_id=RECEIVER) == {Role.COORDINATOR}
    assert domain.roles_for(TESS, is_coordinator=False, giver_id=GIVER, receiver_id=RECEIVER) == frozenset()


@pytest.mark.parametrize(
    ("step", "role", "status", "code"),
    [
        (Step.CONFIRM, Role.RECEIVER, Status.DONE, None),
        (Step.CONFIRM, Role.RECEIVER, Status.AGREED, None),
        (Step.CONFIRM, Role.GIVER, Status.DONE, "wrong_party"),
        (Step.CONFIRM, Role.COORDINATOR, Status.DONE, "wrong_party"),
        (Step.CONFIRM, Role.RECEIVER, Status.ENQUIRY, "wrong_status"),
        (Step.CONFIRM, Role.RECEIVER, Status.DISPUTED, "wrong_status"),
        (Step.CONFIRM, Role.RECEIVER, Status.CONFIRMED, "already_confirmed"),
        (Step.CONFIRM_FOR, Role.COORDINATOR, Status.DONE, None),
        (Step.CONFIRM_FOR, Role.COORDINATOR, Status.CONFIRMED, "already_confirmed"),
        (Step.RESOLVE, Role.COORDINATOR, Status.DISPUTED, None),
        (Step.RESOLVE, Role.COORDINATOR, Status.DONE, "wrong_status"),
        (Step.RESOLVE, Role.GIVER, Status.DISPUTED, "wrong_party"),
        (Step.CANCEL, Role.GIVER, Status.DONE, None),
        (Step.CANCEL, Role.GIVER, Status.DISPUTED, "wrong_status"),
        (Step.CANCEL, Role.RECEIVER, Status.CONFIRMED, "already_confirmed"),
        (Step.DISPUTE, Role.RECEIVER, Status.ENQUIRY, "wrong_status"),
        (Step.PROPOSE, Role.RECEIVER, Status.AGREED, None),
        (Step.PROPOSE, Role.GIVER, Status.DONE, "wrong_status"),
        (Step.ASK, Role.RECEIVER, Status.DONE, "wrong_party"),
        (Step.DECLINE, Role.RECEIVER, Status.AGREED, "wrong_status"),
        (Step.WRITE, Role.COORDINATOR, Status.DISPUTED, None),
        (Step.WRITE, Role.COORDINATOR, Status.AGREED, "wrong_status"),
        (Step.THANK, Role.RECEIVER, Status.CONFIRMED, None),
        (Step.THANK, Role.GIVER, Status.CONFIRMED, "wrong_party"),
    ],
)
def test_who_may_take_which_step_when(step, role, status, code):
    assert code_of(step, frozenset({role}), status) == code


def test_a_refusal_says_how_things_stand():
    with pytest.raises(DomainError) as caught:
        domain.check(Step.MARK_DONE, frozenset({Role.GIVER}), Status.ENQUIRY)

    assert caught.value.message == (
        "Only an agreed exchange can be marked done; agree the terms first. It is still being talked over now."
    )


def test_the_poster_of_an_offer_gives_and_of_a_request_receives():
    assert domain.parties("offer", poster_id=GIVER, contact_id=RECEIVER) == (GIVER, RECEIVER)
    assert domain.parties("request", poster_id=RECEIVER, contact_id=GIVER) == (GIVER, RECEIVER)


def test_nobody_makes_an_exchange_with_themselves():
    with pytest.raises(DomainError) as caught:
        domain.parties("offer", poster_id=GIVER, contact_id=GIVER)
    assert caught.value.code == "same_person"


def test_terms_are_accepted_by_the_side_that_did_not_propose_them():
    domain.check_not_proposer(RECEIVER, GIVER)
    for proposer, code in ((RECEIVER, "own_proposal"), (None, "no_proposal")):
        with pytest.raises(DomainError) as caught:
            domain.check_not_proposer(RECEIVER, proposer)
        assert caught.value.code == code


def test_terms_are_tidied():
    terms = domain.check_terms("  Weeding   the garden ", NOW + timedelta(days=1), 90, NOW)

    assert terms == domain.Terms("Weeding the garden", NOW + timedelta(days=1), 90)


@pytest.mark.parametrize(
    ("what", "when", "amount", "code", "field"),
    [
        ("Weeding", NOW - timedelta(minutes=1), 60, "date_in_past", "scheduled_for"),
        ("Weeding", NOW + timedelta(days=domain.MAX_DAYS_AHEAD + 1), 60, "date_too_far", "scheduled_for"),
        ("Weeding", None, 60, "when_required", "scheduled_for"),
        ("Weeding", NOW, 0, "amount_not_positive", "amount"),
        ("Weeding", NOW, -5, "amount_not_positive", "amount"),
        ("", NOW, 60, "what_required", "what"),
        ("x" * 201, NOW, 60, "what_too_long", "what"),
        ("Weed\x00ing", NOW, 60, "text_has_null_character", None),
    ],
)
def test_bad_terms_name_the_field(what, when, amount, code, field):
    with pytest.raises(DomainError) as caught:
        domain.check_terms(what, when, amount, NOW)

    assert (caught.value.code, caught.value.field) == (code, field)


@pytest.mark.parametrize(
    ("body", "code"), [("", "message_empty"), (" \n\t", "message_empty"), ("x" * 2001, "message_too_long")]
)
def test_a_message_is_neither_empty_nor_over_2000_characters(body, code):
    with pytest.raises(DomainError) as caught:
        domain.check_message(body)
    assert caught.value.code == code


def test_a_message_keeps_its_words_but_not_the_space_around_them():
    assert domain.check_message("  Hello\nthere  ") == "Hello\nthere"
    assert len(domain.check_message("x" * 2000)) == 2000


def test_reasons_are_required_unless_said_otherwise():
    assert domain.check_reason(" ", 10, required=False) == ""
    with pytest.raises(DomainError) as caught:
        domain.check_reason(" ", 10)
    assert caught.value.code == "reason_required"
    with pytest.raises(DomainError) as caught:
        domain.check_reason("x" * 11, 10)
    assert caught.value.code == "reason_too_long"


def test_codes_are_six_digits_and_never_look_like_notifys_four():
    codes = [domain.new_confirm_code() for _ in range(200)]

    assert all(len(code) == 6 and code.isdigit() and domain.is_confirm_code(code) for code in codes)
    assert len(set(codes)) > 190  # random, not a counter


@pytest.mark.parametrize("text", ["1234", "12345", "1234567", "ABC123", "١٢٣٤٥٦"])
def test_other_codes_are_not_taken_for_an_exchanges(text):
    assert not domain.is_confirm_code(text)
