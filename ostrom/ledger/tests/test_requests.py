"""Payment requests, as stories about Riverside's cast: Cora asks Mina to pay for an hour and a half of ironing.

Mina may accept (which pays), decline or ignore it (it lapses); she chooses whether requests from people she
trusts, or any request after the community's timeout, are paid without asking her. The last part checks the
pages: who can open and use each, and that bad input is refused with nothing written."""

import io
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ostrom.communities import actions as community_actions
from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger.actions import accounts
from ostrom.ledger.actions import requests as actions
from ostrom.ledger.models import (
    Account,
    CurrencyKind,
    LedgerSettings,
    PaymentPreference,
    PaymentRequest,
    RequestHandling,
    RequestStatus,
    Transfer,
    TrustedPayee,
)
from ostrom.ledger.tasks import PERIODIC

HOUR = 60
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def balance(hours, member):
    return Account.objects.get(currency=hours, member=member).balance


@pytest.fixture
def ask(hours, member, coordinator):
    """``ask(amount)``: Cora asks Mina for ``amount`` minutes of timebank hours, with a fresh key."""

    def ask_for(amount=90, payee=coordinator, payer=member, key=None, memo="Ironing"):
        return actions.request_payment(payee, payer, hours, amount, memo, key or uuid.uuid4())

    return ask_for


# Asking and paying


def test_a_request_waits_for_the_payer_and_accepting_it_pays(ask, hours, member, coordinator):
    asked = ask(90)

    assert asked.status == RequestStatus.OPEN and Transfer.objects.count() == 0
    paid = actions.accept_request(member, asked)

    assert paid.status == RequestStatus.ACCEPTED and paid.resolved_at is not None
    assert (paid.transfer.amount, paid.transfer.memo, paid.transfer.reference) == (90, "Ironing", f"request:{asked.pk}")
    assert (balance(hours, member), balance(hours, coordinator)) == (-90, 90)


def test_asking_again_with_the_same_key_returns_the_first_request(ask):
    key = uuid.uuid4()
    first = ask(90, key=key)
    again = ask(90, key=key)

    assert again.pk == first.pk
    assert PaymentRequest.objects.count() == 1


def test_a_replayed_key_with_another_amount_is_refused(ask):
    key = uuid.uuid4()
    ask(90, key=key)

    with pytest.raises(DomainError) as refused:
        ask(120, key=key)

    assert refused.value.code == "exists_with_different_amount"
    assert PaymentRequest.objects.get().amount == 90


def test_accepting_twice_pays_once(ask, hours, member):
    asked = ask(90)
    actions.accept_request(member, asked)
    again = actions.accept_request(member, asked)

    assert again.status == RequestStatus.ACCEPTED
    assert Transfer.objects.count() == 1
    assert balance(hours, member) == -90


def test_a_request_over_the_payers_limit_stays_open_with_a_clear_error(ask, hours, member):
    asked = ask(11 * HOUR)

    with pytest.raises(DomainError) as refused:
        actions.accept_request(member, asked)

    assert refused.value.code == "debit_limit_exceeded"
    assert "Mina can go at most 10 h below zero" in refused.value.message
    assert fresh(asked).status == RequestStatus.OPEN and fresh(asked).transfer is None
    assert Transfer.objects.count() == 0 and balance(hours, member) == 0


def test_only_the_payer_answers_and_only_the_asker_withdraws(ask, member, coordinator, staff):
    asked = ask(90)

    for attempt in (
        lambda: actions.accept_request(coordinator, asked),
        lambda: actions.accept_request(staff, asked),
        lambda: actions.decline_request(staff, asked, "Not mine"),
        lambda: actions.cancel_request(member, asked),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "not_your_request"
    assert fresh(asked).status == RequestStatus.OPEN

    assert actions.cancel_request(coordinator, asked).status == RequestStatus.CANCELLED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pressing_accept_four_times_at_once_pays_once(ask, hours, member):
    if connection.vendor != "postgresql":
        pytest.skip("Separate connections racing for row locks need PostgreSQL.")
    asked = ask(90)
    start = threading.Barrier(4)
    outcomes = []

    def press():
        start.wait()
        try:
            outcomes.append(actions.accept_request(member, PaymentRequest.objects.get(pk=asked.pk)).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [RequestStatus.ACCEPTED] * 4
    assert Transfer.objects.count() == 1 and balance(hours, member) == -90


def test_a_declined_request_keeps_its_reason_and_can_no_longer_be_paid(ask, member):
    asked = ask(90)
    actions.decline_request(member, asked, "  We agreed an hour, not an hour and a half.  ")

    with pytest.raises(DomainError) as refused:
        actions.accept_request(member, asked)

    assert refused.value.code == "request_closed"
    assert refused.value.message == "This request has already been declined."
    assert fresh(asked).decline_reason == "We agreed an hour, not an hour and a half."
    assert Transfer.objects.count() == 0


@pytest.fixture
def hillside_credits(other_community):
    return accounts.create_currency(other_community, code="credits", name="Hillside credits", kind=CurrencyKind.CREDIT)


BAD_REQUESTS = {
    "a zero amount": ({"amount": 0}, "amount_not_positive"),
    "a negative amount": ({"amount": -30}, "amount_not_positive"),
    "a fractional amount": ({"amount": 1.5}, "amount_not_whole"),
    "a huge amount": ({"amount": 10**13}, "amount_too_large"),
    "no description": ({"memo": "   "}, "memo_required"),
    "a description too long": ({"memo": "x" * 501}, "memo_too_long"),
    "asking yourself": ({"payer": "coordinator"}, "same_member"),
    "asking another community's member": ({"payer": "outsider"}, "member_unknown"),
    "asking a suspended member": ({"payer": "suspended"}, "member_not_active"),
    "another community's currency": ({"currency": "hillside_credits"}, "currency_unknown"),
    "a key that is not a UUID": ({"key": "1234"}, "invalid_key"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS.keys())
def test_a_bad_request_is_refused_and_writes_nothing(
    case, hours, member, coordinator, outsider, hillside_credits, community
):
    suspended = MemberFactory(community=community, display_name="Sid")
    community_actions.suspend_member(coordinator, suspended, "Did not turn up three times.")
    people = {"coordinator": coordinator, "outsider": outsider, "suspended": suspended}
    changes, code = BAD_REQUESTS[case]
    asked = {"payee": coordinator, "payer": member, "currency": hours, "amount": 90, "memo": "Ironing"}
    asked["key"] = uuid.uuid4()
    for field, value in changes.items():
        asked[field] = people.get(value, value) if field == "payer" else value
    if asked["currency"] == "hillside_credits":
        asked["currency"] = hillside_credits
    counts = (PaymentRequest.objects.count(), Account.objects.count(), Transfer.objects.count())

    with pytest.raises(DomainError) as refused:
        actions.request_payment(
            asked["payee"], asked["payer"], asked["currency"], asked["amount"], asked["memo"], asked["key"]
        )

    assert refused.value.code == code
    assert refused.value.message
    assert (PaymentRequest.objects.count(), Account.objects.count(), Transfer.objects.count()) == counts


# Trust


def test_a_trusted_payee_is_paid_in_the_same_call(ask, hours, member, coordinator, staff):
    actions.set_payment_preference(member, RequestHandling.TRUSTED)
    actions.trust_payee(member, coordinator)

    from_cora = ask(90)
    from_sam = ask(30, payee=staff)

    assert from_cora.status == RequestStatus.ACCEPTED and from_cora.transfer.amount == 90
    assert from_sam.status == RequestStatus.OPEN
    assert balance(hours, member) == -90


def test_trust_only_pays_when_the_payer_chose_to_pay_trusted_people(ask, member, coordinator):
    actions.trust_payee(member, coordinator)

    assert ask(90).status == RequestStatus.OPEN


def test_a_trusted_payee_over_the_limit_waits_like_anyone_else(ask, member, coordinator):
    actions.set_payment_preference(member, RequestHandling.TRUSTED)
    actions.trust_payee(member, coordinator)

    asked = ask(11 * HOUR)

    assert asked.status == RequestStatus.OPEN and fresh(asked).status == RequestStatus.OPEN
    assert Transfer.objects.count() == 0


def test_trusting_is_for_other_active_members_of_your_own_community(member, coordinator, outsider):
    for payee, code in ((member, "same_member"), (outsider, "member_unknown")):
        with pytest.raises(DomainError) as refused:
            actions.trust_payee(member, payee)
        assert refused.value.code == code

    actions.trust_payee(member, coordinator)
    actions.trust_payee(member, coordinator)
    assert TrustedPayee.objects.filter(member=member).count() == 1

    actions.untrust_payee(member, coordinator)
    actions.untrust_payee(member, coordinator)
    assert not TrustedPayee.objects.exists()


def test_an_unknown_handling_is_refused(member):
    with pytest.raises(DomainError) as refused:
        actions.set_payment_preference(member, "whenever")

    assert refused.value.code == "invalid_handling"
    assert not PaymentPreference.objects.exists()


# Time: expiry and automatic acceptance


def test_requests_lapse_after_the_communitys_expiry_and_lapsing_twice_changes_nothing(
    ask, member, community, time_machine
):
    time_machine.move_to(START, tick=False)
    LedgerSettings.objects.create(community=community, request_expiry_days=3)
    asked = ask(90)
    assert asked.expires_at == START + timedelta(days=3)

    time_machine.shift(timedelta(days=3) - timedelta(minutes=1))
    assert actions.expire_requests() == 0
    time_machine.shift(timedelta(minutes=1))
    assert actions.expire_requests() == 1
    assert actions.expire_requests() == 0

    lapsed = fresh(asked)
    assert (lapsed.status, lapsed.resolved_at) == (RequestStatus.EXPIRED, START + timedelta(days=3))
    with pytest.raises(DomainError) as refused:
        actions.accept_request(member, asked)
    assert refused.value.code == "request_closed"


def test_a_request_past_its_expiry_cannot_be_paid_before_the_task_runs(ask, member, time_machine):
    time_machine.move_to(START, tick=False)
    asked = ask(90)
    time_machine.shift(timedelta(days=14))

    with pytest.raises(DomainError) as refused:
        actions.accept_request(member, asked)

    assert refused.value.code == "request_expired"
    assert Transfer.objects.count() == 0


def test_a_payer_who_chose_the_timeout_is_paid_from_once_it_passes(ask, hours, member, community, time_machine):
    time_machine.move_to(START, tick=False)
    LedgerSettings.objects.create(community=community, request_auto_accept_hours=24)
    actions.set_payment_preference(member, RequestHandling.TIMEOUT)
    asked = ask(90)
    assert asked.auto_accept_at == START + timedelta(hours=24)

    time_machine.shift(timedelta(hours=23))
    assert actions.auto_accept_requests() == 0
    time_machine.shift(timedelta(hours=1))
    assert actions.auto_accept_requests() == 1
    assert actions.auto_accept_requests() == 0

    assert fresh(asked).status == RequestStatus.ACCEPTED
    assert Transfer.objects.count() == 1 and balance(hours, member) == -90


def test_an_automatic_payment_refused_by_limits_waits_until_it_lapses(ask, hours, member, time_machine):
    time_machine.move_to(START, tick=False)
    actions.set_payment_preference(member, RequestHandling.TIMEOUT)
    asked = ask(11 * HOUR)

    time_machine.shift(timedelta(hours=73))
    assert actions.auto_accept_requests() == 0
    assert fresh(asked).status == RequestStatus.OPEN

    time_machine.shift(timedelta(days=14))
    assert actions.auto_accept_requests() == 0
    assert actions.expire_requests() == 1
    assert fresh(asked).status == RequestStatus.EXPIRED
    assert Transfer.objects.count() == 0 and balance(hours, member) == 0


def test_turning_the_timeout_off_stops_automatic_payment_of_waiting_requests(ask, member, time_machine):
    time_machine.move_to(START, tick=False)
    actions.set_payment_preference(member, RequestHandling.TIMEOUT)
    asked = ask(90)

    actions.set_payment_preference(member, RequestHandling.ASK)
    time_machine.shift(timedelta(hours=73))

    assert actions.auto_accept_requests() == 0
    assert fresh(asked).auto_accept_at is None and fresh(asked).status == RequestStatus.OPEN


def test_turning_the_timeout_on_gives_waiting_requests_a_full_timeout(ask, member, time_machine):
    time_machine.move_to(START, tick=False)
    asked = ask(90)
    time_machine.shift(timedelta(days=2))

    actions.set_payment_preference(member, RequestHandling.TIMEOUT)

    assert fresh(asked).auto_accept_at == START + timedelta(days=2, hours=72)
    time_machine.shift(timedelta(hours=71))
    assert actions.auto_accept_requests() == 0


# The worker closes and reopens database connections between tasks, as in production, which only a
# transactional test survives on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_tick_enqueues_each_ledger_task_once_and_the_worker_runs_them(ask, hours, member, time_machine):
    time_machine.move_to(START, tick=False)
    actions.set_payment_preference(member, RequestHandling.TIMEOUT)
    paid_later = ask(90)
    lapsing = ask(30)
    PaymentRequest.objects.filter(pk=lapsing.pk).update(auto_accept_at=None)
    time_machine.move_to(START + timedelta(days=4), tick=True)
    PaymentRequest.objects.filter(pk=lapsing.pk).update(expires_at=START)

    call_command("tick", stdout=io.StringIO())
    call_command("tick", stdout=io.StringIO())

    waiting = list(DBTaskResult.objects.filter(status=TaskResultStatus.READY).values_list("task_path", flat=True))
    assert sorted(path for path in waiting if ".ledger." in path) == sorted(t.module_path for t in PERIODIC)
    assert len(waiting) == len(set(waiting))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert fresh(paid_later).status == RequestStatus.ACCEPTED
    assert fresh(lapsing).status == RequestStatus.EXPIRED
    assert balance(hours, member) == -90


# Pages


@pytest.fixture
def cast(member, coordinator, admin_member, staff, outsider, hours):
    return {
        "member": member,
        "coordinator": coordinator,
        "admin": admin_member,
        "staff": staff,
        "outsider": outsider,
        "anonymous": None,
    }


def as_persona(client, cast, persona):
    if cast[persona] is not None:
        client.force_login(cast[persona].user)
    return client


LOGIN = "login"
EVERY_MEMBER = {"member": 200, "coordinator": 200, "admin": 200, "staff": 200, "outsider": 403, "anonymous": LOGIN}


def check(response, expected, path):
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("persona", EVERY_MEMBER.keys())
@pytest.mark.parametrize("name", ["ledger_request_list", "ledger_request_new", "ledger_request_preferences"])
def test_every_active_member_can_open_the_request_pages(client, cast, persona, name):
    path = reverse(name, args=["riverside"])

    check(as_persona(client, cast, persona).get(path), EVERY_MEMBER[persona], path)


DECLINE_PAGE = {"member": 200, "coordinator": 404, "admin": 404, "staff": 404, "outsider": 403, "anonymous": LOGIN}


@pytest.mark.parametrize("persona", DECLINE_PAGE.keys())
def test_only_the_payer_can_open_the_decline_page(client, cast, ask, persona):
    path = reverse("ledger_request_decline", args=["riverside", ask(90).pk])

    check(as_persona(client, cast, persona).get(path), DECLINE_PAGE[persona], path)


# Posting each button: what the response is, and what state the request is in afterwards.
ACCEPT = {
    "member": (302, RequestStatus.ACCEPTED),
    "coordinator": (302, RequestStatus.OPEN),  # she asked: she can see it, but not pay herself
    "admin": (404, RequestStatus.OPEN),
    "staff": (404, RequestStatus.OPEN),
    "outsider": (403, RequestStatus.OPEN),
    "anonymous": (LOGIN, RequestStatus.OPEN),
}
WITHDRAW = {
    "member": (302, RequestStatus.OPEN),
    "coordinator": (302, RequestStatus.CANCELLED),
    "admin": (404, RequestStatus.OPEN),
    "staff": (404, RequestStatus.OPEN),
    "outsider": (403, RequestStatus.OPEN),
    "anonymous": (LOGIN, RequestStatus.OPEN),
}
DECLINE = {
    "member": (302, RequestStatus.DECLINED),
    "coordinator": (404, RequestStatus.OPEN),
    "admin": (404, RequestStatus.OPEN),
    "staff": (404, RequestStatus.OPEN),
    "outsider": (403, RequestStatus.OPEN),
    "anonymous": (LOGIN, RequestStatus.OPEN),
}


@pytest.mark.parametrize("persona", ACCEPT.keys())
@pytest.mark.parametrize(
    ("name", "table"),
    [("ledger_request_accept", ACCEPT), ("ledger_request_cancel", WITHDRAW), ("ledger_request_decline", DECLINE)],
)
def test_who_can_accept_withdraw_or_decline_a_request(client, cast, ask, persona, name, table):
    asked = ask(90)
    path = reverse(name, args=["riverside", asked.pk])
    expected_response, expected_status = table[persona]

    check(as_persona(client, cast, persona).post(path, {"reason": ""}), expected_response, path)

    assert fresh(asked).status == expected_status
    assert Transfer.objects.count() == (1 if expected_status == RequestStatus.ACCEPTED else 0)


@pytest.mark.parametrize("method", ["get", "put"])
def test_accepting_and_withdrawing_need_a_post(client, member, ask, method):
    client.force_login(member.user)
    asked = ask(90)

    for name in ("ledger_request_accept", "ledger_request_cancel"):
        assert getattr(client, method)(reverse(name, args=["riverside", asked.pk])).status_code == 405
    assert fresh(asked).status == RequestStatus.OPEN


def new_request_form(payer_member, hours, **changes):
    data = {
        "payer": payer_member.pk,
        "currency": hours.pk,
        "amount": "1:30",
        "memo": "Ironing",
        "key": str(uuid.uuid4()),
    }
    return {**data, **changes}


@pytest.mark.parametrize("typed", ["1:30", "1.5", "1h 30m"])
def test_a_member_asks_for_hours_and_minutes_through_the_form(client, member, coordinator, hours, typed):
    client.force_login(coordinator.user)

    response = client.post(
        reverse("ledger_request_new", args=["riverside"]), new_request_form(member, hours, amount=typed), follow=True
    )

    asked = PaymentRequest.objects.get()
    assert (asked.payee, asked.payer, asked.amount, asked.memo) == (coordinator, member, 90, "Ironing")
    assert "You asked Mina for 1 h 30 min." in response.content.decode()


def test_a_member_kept_out_of_the_directory_can_still_be_asked_to_pay(client, member, coordinator, hours):
    member.listed_in_directory = False
    member.save(update_fields=["listed_in_directory"])
    client.force_login(coordinator.user)

    assert (
        client.post(reverse("ledger_request_new", args=["riverside"]), new_request_form(member, hours)).status_code
        == 302
    )
    assert PaymentRequest.objects.get().payer == member


def test_sending_the_same_form_twice_asks_once(client, member, coordinator, hours):
    client.force_login(coordinator.user)
    form = new_request_form(member, hours)

    for _ in range(2):
        assert client.post(reverse("ledger_request_new", args=["riverside"]), form).status_code == 302

    assert PaymentRequest.objects.count() == 1


BAD_FORMS = {
    "no amount": ({"amount": ""}, "Enter an amount."),
    "words for an amount": ({"amount": "lots"}, "Enter the amount as a number"),
    "a zero amount": ({"amount": "0"}, "The amount must be more than zero."),
    "seventy-five minutes past the hour": ({"amount": "1:75"}, "Enter the amount as a number"),
    "a negative amount": ({"amount": "-1"}, "The amount must be more than zero."),
    "a fraction of a minute": ({"amount": "0.001"}, "smaller than a minute"),
    "no description": ({"memo": " "}, "Say what the payment is for."),
    "nobody to pay": ({"payer": ""}, "Choose who should pay you."),
    "no currency": ({"currency": ""}, "Choose a currency."),
    "another community's member": ({"payer": "outsider"}, "Select a valid choice."),
    "yourself": ({"payer": "coordinator"}, "Select a valid choice."),
    "a made-up key": ({"key": "not-a-key"}, "Enter a valid UUID."),
}


@pytest.mark.parametrize("case", BAD_FORMS.keys())
def test_the_request_form_rejects_bad_input_and_writes_nothing(client, cast, hours, case):
    client.force_login(cast["coordinator"].user)
    changes, message = BAD_FORMS[case]
    changes = {k: cast[v].pk if v in cast else v for k, v in changes.items()}
    counts = (PaymentRequest.objects.count(), Account.objects.count())

    response = client.post(
        reverse("ledger_request_new", args=["riverside"]), new_request_form(cast["member"], hours, **changes)
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert (PaymentRequest.objects.count(), Account.objects.count()) == counts


def test_the_accept_button_pays_and_says_so(client, member, ask, hours):
    client.force_login(member.user)
    asked = ask(90)

    response = client.post(reverse("ledger_request_accept", args=["riverside", asked.pk]), follow=True)

    assert "You paid Cora 1 h 30 min." in response.content.decode()
    assert balance(hours, member) == -90


def test_the_accept_button_over_the_limit_explains_and_leaves_the_request_open(client, member, ask):
    client.force_login(member.user)
    asked = ask(11 * HOUR)

    response = client.post(reverse("ledger_request_accept", args=["riverside", asked.pk]), follow=True)

    assert "Not paid: Mina can go at most 10 h below zero" in response.content.decode()
    assert fresh(asked).status == RequestStatus.OPEN
    assert Transfer.objects.count() == 0


def test_the_list_shows_what_waits_for_me_and_what_i_asked(client, member, coordinator, staff, ask):
    ask(90)
    ask(30, payee=member, payer=staff, memo="Dog walking")
    client.force_login(member.user)

    page = client.get(reverse("ledger_request_list", args=["riverside"])).content.decode()

    assert 'Accept<span class="visually-hidden"> and pay Cora 1 h 30 min' in page
    assert 'Withdraw<span class="visually-hidden"> your request to Sam for 30 min' in page


def test_declining_through_the_page_keeps_the_reason(client, member, ask):
    client.force_login(member.user)
    asked = ask(90)
    path = reverse("ledger_request_decline", args=["riverside", asked.pk])

    too_long = client.post(path, {"reason": "x" * 501})
    assert too_long.status_code == 400 and fresh(asked).status == RequestStatus.OPEN

    client.post(path, {"reason": "Wrong amount"})
    assert (fresh(asked).status, fresh(asked).decline_reason) == (RequestStatus.DECLINED, "Wrong amount")


def test_the_preferences_page_saves_the_choice_and_refuses_a_made_up_one(client, member):
    client.force_login(member.user)
    path = reverse("ledger_request_preferences", args=["riverside"])

    assert client.post(path, {"handling": "whenever"}).status_code == 400
    assert not PaymentPreference.objects.exists()
    assert client.post(path, {"handling": "timeout"}).status_code == 302
    assert PaymentPreference.objects.get(member=member).handling == RequestHandling.TIMEOUT


def test_trusted_people_are_added_and_removed_through_the_page(client, member, coordinator, outsider):
    client.force_login(member.user)
    trust = reverse("ledger_request_trust", args=["riverside"])

    refused = client.post(trust, {"payee": outsider.pk})
    assert refused.status_code == 400 and "Select a valid choice." in refused.content.decode()
    assert client.post(trust, {"payee": coordinator.pk}).status_code == 302
    assert list(TrustedPayee.objects.values_list("member", "payee")) == [(member.pk, coordinator.pk)]

    client.post(reverse("ledger_request_untrust", args=["riverside", coordinator.pk]))
    assert not TrustedPayee.objects.exists()
