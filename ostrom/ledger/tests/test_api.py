"""The ledger's JSON API, told as stories about the cast: Mina (member), Cora (coordinator), Sam (council staff),
Otto (Hillside only), an anonymous visitor, and Tess, a Riverside member who is paid and asks to be paid.

Amounts are minutes of timebank time. Every refusal answers {code, message, fields} and writes nothing."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.communities.tests.test_api import API, assert_error, bearer, call
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.actions import requests as request_actions
from ostrom.ledger.models import Account, AccountKind, CurrencyKind, PaymentRequest, Transfer

HOUR = 60


def key() -> str:
    return str(uuid.uuid4())


def ledger_rows() -> dict:
    """Everything a refused request could have written, to prove it wrote nothing."""
    return {
        "transfers": list(Transfer.objects.values_list("pk", flat=True)),
        "accounts": list(Account.objects.order_by("pk").values()),
        "requests": list(PaymentRequest.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def pay(debit, credit, amount=HOUR, memo="Gardening", **extra):
    """A transfer made directly through the engine, to set a scene."""
    posted = transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), memo=memo, **extra)
    return Transfer.objects.get(pk=posted.id)


def hold(debit, credit, amount=2 * HOUR, memo="Lift to the clinic"):
    posted = transfers.hold(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), memo=memo)
    return Transfer.objects.get(pk=posted.id)


@pytest.fixture
def tess(community):
    return MemberFactory(community=community, display_name="Tess", user=UserFactory(full_name="Tess Turner"))


@pytest.fixture
def tess_account(hours, tess):
    return accounts.open_account(hours, member=tess)


@pytest.fixture
def council_account(hours, organisation):
    return accounts.open_account(hours, organisation=organisation)


@pytest.fixture
def otto_account(other_community, outsider):
    hillside_hours = accounts.create_currency(
        other_community, code="hours", name="Hillside hours", kind=CurrencyKind.TIME, default_debit_limit=5 * HOUR
    )
    return accounts.open_account(hillside_hours, member=outsider)


@pytest.fixture
def credits(community):
    """Riverside's recycling credit, a second currency, in pence-like hundredths."""
    return accounts.create_currency(
        community, code="green", name="Green credits", kind=CurrencyKind.CREDIT, symbol="GC", scale=100
    )


# --- Who can use which endpoint -------------------------------------------------------------------------------

PERSONAS = ["anonymous", "member", "coordinator", "staff", "outsider"]


def new_payment(ids):
    return {"key": key(), "to_account": ids["tess_account"], "currency": "hours", "amount": 30, "memo": "Dog walking"}


def new_request(ids):
    return {"key": key(), "payer": ids["tess"], "currency": "hours", "amount": HOUR, "memo": "Bike repair"}


def endpoint_cases():
    """(method, path template, body builder, expected status per persona). Templates name things in the story:
    ``paid`` is Mina's payment to Cora, ``hold_for_mina`` a hold Cora placed for Mina and ``hold_for_cora`` one
    Mina placed for Cora; ``asked_of_mina`` is Tess's request that Mina pay her, ``asked_by_mina`` Mina's of Tess."""
    signed_in = {"anonymous": 401, "member": 200, "coordinator": 200, "staff": 200, "outsider": 200}
    riverside = {**signed_in, "outsider": 404}
    mina_s = {"anonymous": 401, "member": 200, "coordinator": 200, "staff": 404, "outsider": 404}
    coordinators_only = {"anonymous": 401, "member": 403, "coordinator": 200, "staff": 403, "outsider": 403}
    mina_only = {"anonymous": 401, "member": 200, "coordinator": 404, "staff": 404, "outsider": 404}
    created = {**riverside, "member": 201, "coordinator": 201, "staff": 201}
    payee_takes = {**mina_s, "member": 201, "coordinator": 403}
    payee_releases = {**mina_s, "member": 403, "coordinator": 201}
    cases = [
        ("get", "/currencies", None, signed_in),
        ("get", "/accounts", None, signed_in),
        ("get", "/accounts?all=true", None, coordinators_only),
        ("get", "/accounts/{mina_account}", None, mina_s),
        ("get", "/accounts/{mina_account}/statement", None, mina_s),
        ("get", "/accounts/{mina_account}/holds", None, mina_s),
        ("post", "/transfers", new_payment, created),
        ("get", "/transfers/{paid}", None, mina_s),
        ("post", "/transfers/{hold_for_mina}/post", lambda ids: {"key": key()}, payee_takes),
        ("post", "/transfers/{hold_for_cora}/void", lambda ids: {"reason": "Plans changed"}, payee_releases),
        (
            "post",
            "/transfers/{paid}/reverse",
            lambda ids: {"reason": "Entered twice"},
            {**coordinators_only, "coordinator": 201},
        ),
        ("get", "/payment-requests", None, signed_in),
        ("post", "/payment-requests", new_request, created),
        ("get", "/payment-requests/{asked_of_mina}", None, mina_only),
        ("post", "/payment-requests/{asked_of_mina}/accept", None, mina_only),
        ("post", "/payment-requests/{asked_of_mina}/decline", lambda ids: {"reason": "Not yet"}, mina_only),
        ("post", "/payment-requests/{asked_by_mina}/cancel", None, mina_only),
    ]
    return [pytest.param(*case, id=f"{case[0].upper()} {case[1]}") for case in cases]


@pytest.fixture
def story(personas, hours, mina_account, cora_account, tess, tess_account, otto_account):
    """The scene every persona meets: one payment, two holds, two payment requests."""
    return {
        "mina_account": mina_account.pk,
        "tess": tess.pk,
        "tess_account": tess_account.pk,
        "paid": pay(mina_account, cora_account).pk,
        "hold_for_mina": hold(cora_account, mina_account).pk,
        "hold_for_cora": hold(mina_account, cora_account).pk,
        "asked_of_mina": request_actions.request_payment(
            tess, personas["member"], hours, HOUR, "Ironing", uuid.uuid4()
        ).pk,
        "asked_by_mina": request_actions.request_payment(
            personas["member"], tess, hours, HOUR, "Shopping", uuid.uuid4()
        ).pk,
    }


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(("method", "template", "body", "expected"), endpoint_cases())
def test_each_endpoint_answers_each_persona_as_the_rules_say(
    client, personas, story, who, method, template, body, expected
):
    response = call(client, method, template.format(**story), personas[who], body(story) if body else None)
    if expected[who] in (200, 201):
        assert response.status_code == expected[who], response.content
    else:
        assert_error(response, expected[who])


def test_the_persona_table_covers_every_ledger_endpoint_in_the_schema(client, db):
    """A new ledger endpoint must join the table above, so nobody ships one without saying who may call it."""
    schema = client.get(f"{API}/openapi.json").json()
    published = {
        (method, path.removeprefix(API))
        for path, operations in schema["paths"].items()
        for method in [m for m in operations if operations[m]["tags"] == ["ledger"]]
    }
    renamed = {"{mina_account}": "{account_id}", "{paid}": "{transfer_id}", "{hold_for_mina}": "{transfer_id}"}
    renamed |= {"{hold_for_cora}": "{transfer_id}", "{asked_of_mina}": "{request_id}"}
    renamed |= {"{asked_by_mina}": "{request_id}"}
    covered = set()
    for case in endpoint_cases():
        method, path = case.values[0], case.values[1].split("?")[0]
        for story_name, parameter in renamed.items():
            path = path.replace(story_name, parameter)
        covered.add((method, path))
    assert published == covered


# --- Currencies and accounts ---------------------------------------------------------------------------------


def test_mina_sees_riverside_s_currencies_with_how_to_show_their_amounts(client, member, hours, credits):
    body = call(client, "get", "/currencies", member).json()
    assert body["count"] == 2
    green, hours_out = body["items"]
    assert (green["code"], green["kind"], green["scale"], green["symbol"]) == ("green", "credit", 100, "GC")
    assert (hours_out["code"], hours_out["kind"], hours_out["scale"]) == ("hours", "time", 60)
    assert hours_out["default_debit_limit"] == 10 * HOUR
    assert hours_out["display"] == {"default_debit_limit": "10 h", "default_credit_limit": None}


def test_otto_sees_only_hillside_s_currencies(client, outsider, hours, otto_account):
    body = call(client, "get", "/currencies", outsider).json()
    assert [c["name"] for c in body["items"]] == ["Hillside hours"]


def test_mina_reads_her_balance_what_she_can_still_pay_and_her_limits(client, member, mina_account, cora_account):
    pay(mina_account, cora_account, 90)
    hold(mina_account, cora_account, 30)
    body = call(client, "get", f"/accounts/{mina_account.pk}", member).json()
    assert body["holder"] == "Mina"
    assert (body["kind"], body["status"], body["member"], body["organisation"]) == ("member", "active", member.pk, None)
    assert body["currency"] == {"code": "hours", "name": "Timebank hours", "kind": "time", "scale": 60, "symbol": ""}
    assert (body["balance"], body["available"], body["debits_pending"], body["credits_pending"]) == (-90, 480, 30, 0)
    assert (body["debit_limit"], body["credit_limit"]) == (10 * HOUR, None)
    assert body["display"] == {
        "balance": "-1 h 30 min",
        "available": "8 h",
        "debit_limit": "10 h",
        "credit_limit": None,
        "debits_pending": "30 min",
        "credits_pending": "0 min",
    }


def test_mina_lists_only_her_own_accounts(client, member, mina_account, cora_account, tess_account):
    body = call(client, "get", "/accounts", member).json()
    assert [a["id"] for a in body["items"]] == [mina_account.pk]
    assert body["count"] == 1


def test_sam_lists_his_own_account_and_the_council_s(client, staff, hours, council_account):
    sams = accounts.open_account(hours, member=staff)
    body = call(client, "get", "/accounts", staff).json()
    assert {(a["id"], a["holder"]) for a in body["items"]} == {
        (sams.pk, "Sam"),
        (council_account.pk, "Riverside Council"),
    }
    assert next(a for a in body["items"] if a["kind"] == "organisation")["organisation"] == "riverside-council"


def test_cora_lists_every_account_of_riverside_including_the_system_accounts(
    client, coordinator, mina_account, cora_account, otto_account
):
    body = call(client, "get", "/accounts?all=true", coordinator).json()
    kinds = sorted(a["kind"] for a in body["items"])
    assert kinds == ["fees", "issuance", "member", "member"]
    assert otto_account.pk not in {a["id"] for a in body["items"]}


def test_mina_may_not_list_every_account(client, member, mina_account):
    body = assert_error(call(client, "get", "/accounts?all=true", member), 403, "forbidden")
    assert "coordinators" in body["message"]


def test_another_community_s_account_is_not_found_like_one_that_does_not_exist(client, member, otto_account):
    foreign = assert_error(call(client, "get", f"/accounts/{otto_account.pk}", member), 404, "not_found")
    missing = assert_error(call(client, "get", "/accounts/987654", member), 404, "not_found")
    assert foreign == missing


@pytest.mark.parametrize("account_id", ["0", "-1", "abc", str(2**70)])
def test_an_account_number_that_cannot_exist_is_refused(client, member, account_id):
    assert_error(call(client, "get", f"/accounts/{account_id}", member), 422, "invalid_input")


def test_listing_accounts_takes_the_same_queries_for_2_or_20(
    client, coordinator, hours, community, organisation, time_machine, django_assert_max_num_queries
):
    # Frozen, so the token's last-used time and the rate-limit window stay put between the two counts.
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    headers = bearer(coordinator)
    call(client, "get", "/accounts?all=true", headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert call(client, "get", "/accounts?all=true", headers=headers).json()["count"] == 2
    accounts.open_account(hours, organisation=organisation)
    for _ in range(17):
        accounts.open_account(hours, member=MemberFactory(community=community))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(call(client, "get", "/accounts?all=true", headers=headers).json()["items"]) == 20


# --- Paying -----------------------------------------------------------------------------------------------------


def transfer_body(to_account, amount=HOUR, **extra):
    return {
        "key": key(),
        "to_account": to_account.pk,
        "currency": "hours",
        "amount": amount,
        "memo": "Gardening",
    } | extra


def test_mina_pays_tess_an_hour_and_sees_her_own_balance_after(client, member, mina_account, tess_account):
    body = transfer_body(tess_account, category="gardening")
    response = call(client, "post", "/transfers", member, body)
    assert response.status_code == 201, response.content
    paid = response.json()
    assert (paid["kind"], paid["amount"], paid["memo"], paid["category"]) == ("transfer", 60, "Gardening", "gardening")
    assert paid["key"] == body["key"]
    assert paid["from_account"] == {"id": mina_account.pk, "kind": "member", "holder": "Mina"}
    assert paid["to_account"]["holder"] == "Tess"
    assert paid["currency"]["kind"] == "time"
    assert paid["replayed"] is False
    assert paid["from_balance_after"] == -HOUR
    assert paid["to_balance_after"] is None  # Tess's balance is hers to see
    assert paid["display"] == {"amount": "1 h", "from_balance_after": "-1 h", "to_balance_after": None}
    assert Account.objects.get(pk=tess_account.pk).balance == HOUR


def test_paying_opens_the_payer_s_account_on_the_first_payment(client, member, hours, tess_account):
    response = call(client, "post", "/transfers", member, transfer_body(tess_account))
    assert response.status_code == 201, response.content
    assert Account.objects.get(member=member, currency=hours).balance == -HOUR


def test_a_coordinator_sees_both_balances_after_a_transfer(client, coordinator, mina_account, tess_account):
    paid = pay(mina_account, tess_account)
    body = call(client, "get", f"/transfers/{paid.pk}", coordinator).json()
    assert (body["from_balance_after"], body["to_balance_after"]) == (-HOUR, HOUR)


def test_a_retry_with_the_same_key_and_body_returns_the_same_transfer(client, member, mina_account, tess_account):
    body = transfer_body(tess_account)
    first = call(client, "post", "/transfers", member, body)
    again = call(client, "post", "/transfers", member, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    assert Transfer.objects.count() == 1
    assert Account.objects.get(pk=mina_account.pk).balance == -HOUR


def test_the_same_key_with_another_amount_is_refused_and_writes_nothing(client, member, mina_account, tess_account):
    body = transfer_body(tess_account)
    call(client, "post", "/transfers", member, body)
    before = ledger_rows()
    error = assert_error(call(client, "post", "/transfers", member, {**body, "amount": 2 * HOUR}), 409)
    assert error["code"] == "exists_with_different_amount"
    assert "new key" in error["message"]
    assert ledger_rows() == before


def test_the_same_key_for_another_payee_is_refused(client, member, mina_account, tess_account, cora_account):
    body = transfer_body(tess_account)
    call(client, "post", "/transfers", member, body)
    before = ledger_rows()
    response = call(client, "post", "/transfers", member, {**body, "to_account": cora_account.pk})
    assert_error(response, 409, "exists_with_different_credit_account")
    assert ledger_rows() == before


@pytest.fixture
def scene(member, hours, mina_account, tess_account, cora_account, otto_account, credits):
    """Accounts a bad request might name: a frozen one, a closed one, Otto's, and one in green credits."""
    frozen = accounts.open_account(hours, member=MemberFactory(community=member.community, display_name="Fern"))
    closed = accounts.open_account(hours, member=MemberFactory(community=member.community, display_name="Cleo"))
    Account.objects.filter(pk=frozen.pk).update(status="frozen")
    Account.objects.filter(pk=closed.pk).update(status="closed")
    green = accounts.open_account(credits, member=MemberFactory(community=member.community))
    fees = accounts.system_account(hours, AccountKind.FEES)
    return {"tess": tess_account.pk, "mina": mina_account.pk, "frozen": frozen.pk, "closed": closed.pk,
            "otto": otto_account.pk, "green": green.pk, "fees": fees.pk, "cora": cora_account.pk}  # fmt: skip


BAD_TRANSFERS = [
    # (what is wrong, changes to a good body, status, code, field)
    ("zero", {"amount": 0}, 422, "invalid_input", "amount"),
    ("negative", {"amount": -60}, 422, "invalid_input", "amount"),
    ("fractional", {"amount": 1.5}, 422, "invalid_input", "amount"),
    ("text", {"amount": "60"}, 422, "invalid_input", "amount"),
    ("boolean", {"amount": True}, 422, "invalid_input", "amount"),
    ("huge", {"amount": 10**13}, 422, "invalid_input", "amount"),
    ("beyond 64 bits", {"amount": 2**70}, 422, "invalid_input", "amount"),
    ("no amount", {"amount": None}, 422, "invalid_input", "amount"),
    ("no memo", {"memo": "  "}, 422, "invalid_input", "memo"),
    ("long memo", {"memo": "x" * 501}, 422, "invalid_input", "memo"),
    ("NUL in memo", {"memo": "Garden\x00ing"}, 422, "invalid_input", "memo"),
    ("long category", {"category": "x" * 41}, 422, "invalid_input", "category"),
    ("not a UUID", {"key": "42"}, 422, "invalid_input", "key"),
    ("unknown field", {"colour": "blue"}, 422, "invalid_input", "colour"),
    ("odd currency code", {"currency": "h ours"}, 422, "invalid_input", "currency"),
    ("naive expiry", {"pending": True, "expires_at": "2030-01-01T10:00:00"}, 422, "invalid_input", "expires_at"),
    ("pending as text", {"pending": "yes"}, 422, "invalid_input", "pending"),
    ("expiry without hold", {"expires_at": "2030-01-01T10:00:00Z"}, 400, "expiry_without_hold", "expires_at"),
    ("expired hold", {"pending": True, "expires_at": "2020-01-01T10:00:00Z"}, 400, "invalid_expiry", "expires_at"),
    ("unknown currency", {"currency": "euros"}, 404, "currency_unknown", "currency"),
    ("unknown account", {"to_account": 987654}, 404, "account_unknown", "to_account"),
    ("Otto's account", {"to_account": "otto"}, 404, "account_unknown", "to_account"),
    ("Otto's account as payer", {"from_account": "otto"}, 404, "account_unknown", "from_account"),
    ("same account both sides", {"to_account": "mina"}, 400, "same_account", "payee"),
    ("same account named twice", {"from_account": "mina", "to_account": "mina"}, 400, "same_account", "payee"),
    ("currency mismatch", {"to_account": "green"}, 400, "currency_mismatch", "to_account"),
    ("payer in another currency", {"from_account": "green"}, 400, "currency_mismatch", "from_account"),
    ("frozen payee", {"to_account": "frozen"}, 409, "account_frozen", "payee"),
    ("closed payee", {"to_account": "closed"}, 409, "account_closed", "payee"),
    ("system account", {"to_account": "fees"}, 404, "payee_unknown", "payee"),
    ("over the limit", {"amount": 10 * HOUR + 1}, 409, "debit_limit_exceeded", "amount"),
    ("hold over the limit", {"amount": 10 * HOUR + 1, "pending": True}, 409, "debit_limit_exceeded", "amount"),
    ("hold for a frozen account", {"to_account": "frozen", "pending": True}, 409, "account_frozen", "account"),
    ("hold for a system account", {"to_account": "fees", "pending": True}, 404, "payee_unknown", "to_account"),
]


@pytest.mark.parametrize(
    ("case", "changes", "status", "code", "field"), BAD_TRANSFERS, ids=[c[0] for c in BAD_TRANSFERS]
)
def test_a_bad_transfer_is_refused_with_a_clear_error_and_writes_nothing(
    client, member, scene, case, changes, status, code, field
):
    body = {"key": key(), "to_account": scene["tess"], "currency": "hours", "amount": HOUR, "memo": "Gardening"}
    body |= {name: scene.get(value, value) if isinstance(value, str) else value for name, value in changes.items()}
    body = {name: value for name, value in body.items() if value is not None}
    before = ledger_rows()
    error = assert_error(call(client, "post", "/transfers", member, body), status, code)
    assert field in error["fields"], error
    assert "pydantic" not in error["message"].lower() and "input should" not in error["message"].lower()
    assert ledger_rows() == before


def test_a_body_that_is_not_a_transfer_is_refused(client, member, mina_account):
    for raw in ["{not json", "[1, 2]", '"text"', "null"]:
        response = call(client, "post", "/transfers", member, raw)
        assert_error(response)
        assert response.status_code in (400, 422)
    assert Transfer.objects.count() == 0


def test_messages_about_amounts_are_written_for_people(client, member, tess_account):
    error = assert_error(call(client, "post", "/transfers", member, transfer_body(tess_account, 1.5)), 422)
    assert error["fields"]["amount"] == "Enter a whole number."
    error = assert_error(call(client, "post", "/transfers", member, transfer_body(tess_account, 0)), 422)
    assert error["fields"]["amount"] == "Enter a number bigger than 0."
    error = assert_error(call(client, "post", "/transfers", member, transfer_body(tess_account, key="nope")), 422)
    assert error["fields"]["key"].startswith("Give a UUID")


def test_a_whole_number_written_with_a_decimal_point_is_the_same_amount(client, member, mina_account, tess_account):
    response = call(client, "post", "/transfers", member, transfer_body(tess_account, 60.0))
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == HOUR


def test_the_limit_refusal_names_the_limit(client, member, mina_account, tess_account):
    error = assert_error(call(client, "post", "/transfers", member, transfer_body(tess_account, 11 * HOUR)), 409)
    assert error["code"] == "debit_limit_exceeded"
    assert "10 h" in error["message"]


def test_naming_otto_s_account_answers_exactly_like_naming_no_account(client, member, mina_account, otto_account):
    foreign = call(client, "post", "/transfers", member, transfer_body(otto_account))
    missing = call(client, "post", "/transfers", member, transfer_body(Account(pk=987654)))
    assert assert_error(foreign, 404, "account_unknown") == assert_error(missing, 404, "account_unknown")


def test_a_frozen_account_cannot_pay(client, member, mina_account, tess_account):
    Account.objects.filter(pk=mina_account.pk).update(status="frozen")
    before = ledger_rows()
    error = assert_error(call(client, "post", "/transfers", member, transfer_body(tess_account)), 409, "account_frozen")
    assert "Ask a coordinator" in error["message"]
    assert ledger_rows() == before


def test_mina_cannot_pay_from_tess_s_account(client, member, mina_account, tess_account, cora_account):
    before = ledger_rows()
    body = transfer_body(cora_account, from_account=tess_account.pk)
    error = assert_error(call(client, "post", "/transfers", member, body), 403, "forbidden")
    assert "your own account" in error["message"]
    assert ledger_rows() == before


def test_sam_pays_from_the_council_s_account(client, staff, council_account, tess_account):
    body = transfer_body(tess_account, from_account=council_account.pk)
    response = call(client, "post", "/transfers", staff, body)
    assert response.status_code == 201, response.content
    assert response.json()["from_account"]["holder"] == "Riverside Council"
    assert response.json()["from_balance_after"] == -HOUR


def test_cora_pays_on_mina_s_behalf_only_with_a_reason_and_it_is_audited(
    client, coordinator, member, mina_account, tess_account
):
    body = transfer_body(tess_account, from_account=mina_account.pk)
    before = ledger_rows()
    assert_error(call(client, "post", "/transfers", coordinator, body), 400, "reason_required")
    assert ledger_rows() == before

    response = call(client, "post", "/transfers", coordinator, {**body, "reason": "Mina asked by phone"})
    assert response.status_code == 201, response.content
    assert response.json()["on_behalf_of"] == member.pk
    entry = AuditEntry.objects.get(action="ledger.paid_on_behalf")
    assert (entry.actor, entry.member, entry.reason) == (coordinator.user, member, "Mina asked by phone")


# --- Holds ------------------------------------------------------------------------------------------------------


def test_mina_holds_two_hours_for_cora_who_takes_one_and_the_rest_is_released(
    client, member, coordinator, mina_account, cora_account
):
    body = transfer_body(cora_account, 2 * HOUR, pending=True, memo="Lift to the clinic")
    held = call(client, "post", "/transfers", member, body)
    assert held.status_code == 201, held.content
    assert (held.json()["kind"], held.json()["hold_status"]) == ("pending", "open")
    assert call(client, "post", "/transfers", member, body).json() | {"replayed": False} == held.json()
    assert held.json()["expires_at"] is not None
    mine = call(client, "get", f"/accounts/{mina_account.pk}", member).json()
    assert (mine["balance"], mine["debits_pending"], mine["available"]) == (0, 2 * HOUR, 8 * HOUR)

    take = {"key": key(), "amount": HOUR}
    taken = call(client, "post", f"/transfers/{held.json()['id']}/post", coordinator, take)
    assert taken.status_code == 201, taken.content
    assert (taken.json()["kind"], taken.json()["amount"], taken.json()["hold"]) == ("post", HOUR, held.json()["id"])
    again = call(client, "post", f"/transfers/{held.json()['id']}/post", coordinator, take)
    assert (again.status_code, again.json()["id"], again.json()["replayed"]) == (200, taken.json()["id"], True)

    after = Account.objects.get(pk=mina_account.pk)
    assert (after.balance, after.debits_pending) == (-HOUR, 0)
    status = call(client, "get", f"/transfers/{held.json()['id']}", member).json()
    assert (status["hold_status"], status["resolved_by"]) == ("taken", taken.json()["id"])


def test_a_hold_is_taken_or_released_once(client, member, coordinator, mina_account, cora_account):
    held = hold(mina_account, cora_account)
    call(client, "post", f"/transfers/{held.pk}/post", coordinator, {"key": key()})
    before = ledger_rows()
    error = assert_error(call(client, "post", f"/transfers/{held.pk}/post", coordinator, {"key": key()}), 409)
    assert error["code"] == "hold_already_resolved"
    assert_error(call(client, "post", f"/transfers/{held.pk}/void", coordinator, {"reason": "x"}), 409)
    assert ledger_rows() == before


def test_cora_cannot_take_more_than_was_held(client, coordinator, mina_account, cora_account):
    held = hold(mina_account, cora_account, HOUR)
    before = ledger_rows()
    body = {"key": key(), "amount": HOUR + 1}
    assert_error(call(client, "post", f"/transfers/{held.pk}/post", coordinator, body), 400, "amount_exceeds_hold")
    assert ledger_rows() == before


def test_only_a_hold_can_be_taken(client, coordinator, mina_account, cora_account):
    paid = pay(mina_account, cora_account)
    assert_error(call(client, "post", f"/transfers/{paid.pk}/post", coordinator, {"key": key()}), 409, "not_a_hold")


def test_the_payee_gives_up_a_hold_and_a_second_release_changes_nothing(client, member, mina_account, cora_account):
    held = hold(cora_account, mina_account)
    released = call(client, "post", f"/transfers/{held.pk}/void", member, {})
    assert released.status_code == 201, released.content
    assert (released.json()["kind"], released.json()["hold"]) == ("void", held.pk)
    again = call(client, "post", f"/transfers/{held.pk}/void", member, {})
    assert (again.status_code, again.json()["id"]) == (200, released.json()["id"])
    assert Account.objects.get(pk=cora_account.pk).debits_pending == 0
    assert call(client, "get", f"/transfers/{held.pk}", member).json()["hold_status"] == "released"


def test_the_payer_cannot_release_their_own_hold(client, member, mina_account, cora_account):
    held = hold(mina_account, cora_account)
    before = ledger_rows()
    assert_error(call(client, "post", f"/transfers/{held.pk}/void", member, {}), 403, "not_allowed")
    assert ledger_rows() == before


def test_a_coordinator_releases_someone_else_s_hold_only_with_a_reason_and_it_is_audited(
    client, coordinator, member, mina_account, tess_account
):
    held = hold(mina_account, tess_account)
    before = ledger_rows()
    assert_error(call(client, "post", f"/transfers/{held.pk}/void", coordinator, {}), 400, "reason_required")
    assert ledger_rows() == before
    response = call(client, "post", f"/transfers/{held.pk}/void", coordinator, {"reason": "Tess moved away"})
    assert response.status_code == 201, response.content
    assert AuditEntry.objects.get(action="ledger.hold_released").reason == "Tess moved away"


def test_a_hold_s_expiry_must_be_soon_and_in_the_future(client, member, mina_account, cora_account):
    later = (timezone.now() + timedelta(days=91)).isoformat()
    before = ledger_rows()
    body = transfer_body(cora_account, pending=True, expires_at=later)
    assert_error(call(client, "post", "/transfers", member, body), 400, "invalid_expiry")
    assert ledger_rows() == before


def test_mina_lists_the_holds_on_her_account(client, member, mina_account, cora_account, tess_account):
    for_cora = hold(mina_account, cora_account, HOUR)
    for_mina = hold(tess_account, mina_account, 30)
    body = call(client, "get", f"/accounts/{mina_account.pk}/holds", member).json()
    assert [(h["transfer"], h["amount"], h["other_account"]["holder"]) for h in body["items"]] == [
        (for_mina.pk, 30, "Tess"),
        (for_cora.pk, -HOUR, "Cora"),
    ]
    assert body["items"][1]["display"] == {"amount": "-1 h"}


# --- Reversals --------------------------------------------------------------------------------------------------


def test_cora_reverses_a_mistake_once_and_the_audit_log_says_why(client, coordinator, mina_account, tess_account):
    paid = pay(mina_account, tess_account)
    response = call(client, "post", f"/transfers/{paid.pk}/reverse", coordinator, {"reason": "Entered twice"})
    assert response.status_code == 201, response.content
    reversal = response.json()
    assert (reversal["reverses"], reversal["from_account"]["id"], reversal["reason"]) == (
        paid.pk,
        tess_account.pk,
        "Entered twice",
    )
    assert Account.objects.get(pk=mina_account.pk).balance == 0
    assert AuditEntry.objects.get(action="ledger.transfer_reversed").reason == "Entered twice"
    assert call(client, "get", f"/transfers/{paid.pk}", coordinator).json()["reversed_by"] == reversal["id"]

    before = ledger_rows()
    again = call(client, "post", f"/transfers/{paid.pk}/reverse", coordinator, {"reason": "Again"})
    assert_error(again, 409, "already_reversed")
    assert ledger_rows() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
def test_a_reversal_needs_a_reason(client, coordinator, mina_account, tess_account, body):
    paid = pay(mina_account, tess_account)
    before = ledger_rows()
    assert_error(call(client, "post", f"/transfers/{paid.pk}/reverse", coordinator, body), 422, "invalid_input")
    assert ledger_rows() == before


def test_a_hold_cannot_be_reversed(client, coordinator, mina_account, tess_account):
    held = hold(mina_account, tess_account)
    before = ledger_rows()
    response = call(client, "post", f"/transfers/{held.pk}/reverse", coordinator, {"reason": "Oops"})
    assert_error(response, 409, "not_reversible")
    assert ledger_rows() == before


def test_a_coordinator_of_another_community_cannot_reach_riverside_transfers(
    client, other_community, mina_account, tess_account
):
    from ostrom.communities.tests.factories import CoordinatorFactory

    hillside_coordinator = CoordinatorFactory(community=other_community)
    paid = pay(mina_account, tess_account)
    before = ledger_rows()
    response = call(client, "post", f"/transfers/{paid.pk}/reverse", hillside_coordinator, {"reason": "Because"})
    assert_error(response, 404, "not_found")
    assert_error(call(client, "get", f"/transfers/{paid.pk}", hillside_coordinator), 404, "not_found")
    assert ledger_rows() == before


# --- Statements -------------------------------------------------------------------------------------------------


@pytest.fixture
def history(mina_account, tess_account, time_machine):
    """Five movements on five days in March 2026: Mina earns, spends, earns..."""
    moves = []
    for day, (debit, credit, amount, category) in enumerate(
        [
            (tess_account, mina_account, 2 * HOUR, "gardening"),
            (mina_account, tess_account, 30, "shopping"),
            (tess_account, mina_account, HOUR, "gardening"),
            (mina_account, tess_account, 45, "cooking"),
            (tess_account, mina_account, 15, "gardening"),
        ],
        start=1,
    ):
        time_machine.move_to(f"2026-03-0{day} 12:00:00Z", tick=False)
        moves.append(pay(debit, credit, amount, category=category))
    return moves


def test_mina_reads_her_statement_page_by_page_with_running_balances(client, member, mina_account, history):
    first = call(client, "get", f"/accounts/{mina_account.pk}/statement?limit=2", member).json()
    assert first["account"]["balance"] == 2 * HOUR + 60 - 30 - 45 + 15
    assert [(line["amount"], line["balance_after"]) for line in first["lines"]] == [(15, 120), (-45, 105)]
    assert first["lines"][0]["other_account"]["holder"] == "Tess"
    assert first["lines"][1]["display"] == {"amount": "-45 min", "balance_after": "1 h 45 min"}
    assert first["previous_cursor"] is None

    second = call(
        client, "get", f"/accounts/{mina_account.pk}/statement?limit=2&before={first['next_cursor']}", member
    ).json()
    assert [line["balance_after"] for line in second["lines"]] == [150, 90]
    last = call(
        client, "get", f"/accounts/{mina_account.pk}/statement?limit=2&before={second['next_cursor']}", member
    ).json()
    assert [line["balance_after"] for line in last["lines"]] == [120]
    assert last["next_cursor"] is None
    back = call(
        client, "get", f"/accounts/{mina_account.pk}/statement?limit=2&after={last['previous_cursor']}", member
    ).json()
    assert back["lines"] == second["lines"]


def test_the_statement_filters_by_day_and_category(client, member, mina_account, history):
    path = f"/accounts/{mina_account.pk}/statement"
    days = call(client, "get", f"{path}?from=2026-03-02&to=2026-03-03", member).json()
    assert [line["transfer"] for line in days["lines"]] == [history[2].pk, history[1].pk]
    gardening = call(client, "get", f"{path}?category=gardening", member).json()
    assert [line["amount"] for line in gardening["lines"]] == [15, 60, 120]


def test_mina_cannot_read_tess_s_statement(client, member, tess_account, history):
    assert_error(call(client, "get", f"/accounts/{tess_account.pk}/statement", member), 404, "not_found")
    assert_error(call(client, "get", f"/accounts/{tess_account.pk}/holds", member), 404, "not_found")


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("serach=1", 422, "serach"),
        ("limit=0", 422, "limit"),
        ("limit=501", 422, "limit"),
        ("before=0", 422, "before"),
        ("from=yesterday", 422, "from"),
        ("before=5&after=3", 400, "before"),
        ("from=2026-03-05&to=2026-03-01", 400, "from"),
    ],
)
def test_a_statement_query_outside_the_rules_is_refused(client, member, mina_account, query, status, field):
    response = call(client, "get", f"/accounts/{mina_account.pk}/statement?{query}", member)
    assert field in assert_error(response, status)["fields"]


def test_a_statement_from_the_beginning_of_time_is_just_the_whole_statement(client, member, mina_account, history):
    path = f"/accounts/{mina_account.pk}/statement"
    body = call(client, "get", f"{path}?from=0001-01-01&to=9999-12-31", member).json()
    assert len(body["lines"]) == 5


def test_the_statement_takes_the_same_queries_for_2_or_20_lines(
    client, member, mina_account, tess_account, time_machine, django_assert_max_num_queries
):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    headers = bearer(member)
    path = f"/accounts/{mina_account.pk}/statement"
    for _ in range(2):
        pay(tess_account, mina_account, 10)
    call(client, "get", path, headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert len(call(client, "get", path, headers=headers).json()["lines"]) == 2
    for n in range(18):
        other = accounts.open_account(mina_account.currency, member=MemberFactory(community=member.community))
        if n % 2:
            pay(other, mina_account, 10)
        else:
            pay(mina_account, other, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(call(client, "get", path, headers=headers).json()["lines"]) == 20


# --- Payment requests -------------------------------------------------------------------------------------------


def request_body(payer, amount=HOUR, **extra):
    return {"key": key(), "payer": payer.pk, "currency": "hours", "amount": amount, "memo": "Bike repair"} | extra


def test_tess_asks_mina_to_pay_and_mina_pays(client, tess, member, mina_account, tess_account):
    asked = call(client, "post", "/payment-requests", tess, request_body(member))
    assert asked.status_code == 201, asked.content
    request_out = asked.json()
    assert (request_out["status"], request_out["payee"]["display_name"], request_out["payer"]["id"]) == (
        "open",
        "Tess",
        member.pk,
    )
    assert request_out["display"] == {"amount": "1 h"}

    paid = call(client, "post", f"/payment-requests/{request_out['id']}/accept", member)
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "accepted"
    transfer = Transfer.objects.get(pk=paid.json()["transfer"])
    assert (transfer.debit_account_id, transfer.credit_account_id, transfer.amount) == (
        mina_account.pk,
        tess_account.pk,
        HOUR,
    )
    again = call(client, "post", f"/payment-requests/{request_out['id']}/accept", member)
    assert again.json()["transfer"] == transfer.pk
    assert Transfer.objects.count() == 1


def test_a_repeated_request_key_returns_the_first_request(client, tess, member, hours):
    body = request_body(member)
    first = call(client, "post", "/payment-requests", tess, body)
    again = call(client, "post", "/payment-requests", tess, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (again.json()["id"], again.json()["replayed"]) == (first.json()["id"], True)
    before = ledger_rows()
    response = call(client, "post", "/payment-requests", tess, {**body, "amount": 2 * HOUR})
    assert_error(response, 409, "exists_with_different_amount")
    assert ledger_rows() == before


BAD_REQUESTS = [
    ("zero", {"amount": 0}, 422, "invalid_input", "amount"),
    ("fractional", {"amount": 0.5}, 422, "invalid_input", "amount"),
    ("huge", {"amount": 10**13}, 422, "invalid_input", "amount"),
    ("no memo", {"memo": ""}, 422, "invalid_input", "memo"),
    ("payer as text", {"payer": "Mina"}, 422, "invalid_input", "payer"),
    ("unknown currency", {"currency": "euros"}, 404, "currency_unknown", "currency"),
    ("unknown member", {"payer": 987654}, 404, "member_unknown", "payer"),
    ("Otto", {"payer": "otto"}, 404, "member_unknown", "payer"),
    ("yourself", {"payer": "tess"}, 400, "same_member", "payer"),
]


@pytest.mark.parametrize(("case", "changes", "status", "code", "field"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_a_bad_payment_request_is_refused_and_writes_nothing(
    client, tess, member, outsider, hours, case, changes, status, code, field
):
    names = {"otto": outsider.pk, "tess": tess.pk}
    body = request_body(member) | {k: names.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    before = ledger_rows()
    error = assert_error(call(client, "post", "/payment-requests", tess, body), status, code)
    assert field in error["fields"]
    assert ledger_rows() == before


def test_mina_declines_saying_why_and_tess_can_no_longer_withdraw(client, tess, member, hours):
    asked = request_actions.request_payment(tess, member, hours, HOUR, "Ironing", uuid.uuid4())
    declined = call(client, "post", f"/payment-requests/{asked.pk}/decline", member, {"reason": "Not done yet"})
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("declined", "Not done yet")
    before = ledger_rows()
    assert_error(call(client, "post", f"/payment-requests/{asked.pk}/cancel", tess), 409, "request_closed")
    assert_error(call(client, "post", f"/payment-requests/{asked.pk}/accept", member), 409, "request_closed")
    assert ledger_rows() == before


def test_only_the_payer_answers_and_only_the_payee_withdraws(client, tess, member, hours):
    asked = request_actions.request_payment(tess, member, hours, HOUR, "Ironing", uuid.uuid4())
    before = ledger_rows()
    assert_error(call(client, "post", f"/payment-requests/{asked.pk}/accept", tess), 403, "not_your_request")
    assert_error(call(client, "post", f"/payment-requests/{asked.pk}/decline", tess, {}), 403, "not_your_request")
    assert_error(call(client, "post", f"/payment-requests/{asked.pk}/cancel", member), 403, "not_your_request")
    assert ledger_rows() == before
    assert call(client, "post", f"/payment-requests/{asked.pk}/cancel", tess).json()["status"] == "cancelled"


def test_accepting_over_the_limit_is_refused_and_the_request_stays_open(client, tess, member, hours, mina_account):
    asked = request_actions.request_payment(tess, member, hours, 11 * HOUR, "Roof repair", uuid.uuid4())
    before = ledger_rows()
    response = call(client, "post", f"/payment-requests/{asked.pk}/accept", member)
    assert_error(response, 409, "debit_limit_exceeded")
    assert ledger_rows() == before


def test_mina_lists_requests_she_made_and_received(client, tess, member, hours):
    to_mina = request_actions.request_payment(tess, member, hours, HOUR, "Ironing", uuid.uuid4())
    by_mina = request_actions.request_payment(member, tess, hours, 30, "Shopping", uuid.uuid4())
    everything = call(client, "get", "/payment-requests", member).json()
    assert {r["id"] for r in everything["items"]} == {to_mina.pk, by_mina.pk}
    made = call(client, "get", "/payment-requests?role=made", member).json()
    assert [r["id"] for r in made["items"]] == [by_mina.pk]
    received = call(client, "get", "/payment-requests?role=received&status=open", member).json()
    assert [r["id"] for r in received["items"]] == [to_mina.pk]
    assert call(client, "get", "/payment-requests?status=accepted", member).json()["count"] == 0
    assert_error(call(client, "get", "/payment-requests?role=everyone", member), 422, "invalid_input")


def test_cora_does_not_see_other_people_s_requests(client, tess, member, coordinator, hours):
    asked = request_actions.request_payment(tess, member, hours, HOUR, "Ironing", uuid.uuid4())
    assert call(client, "get", "/payment-requests", coordinator).json()["count"] == 0
    assert_error(call(client, "get", f"/payment-requests/{asked.pk}", coordinator), 404, "not_found")


def test_listing_requests_takes_the_same_queries_for_2_or_20(
    client, member, hours, community, time_machine, django_assert_max_num_queries
):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    headers = bearer(member)

    def ask(n):
        for _ in range(n):
            other = MemberFactory(community=community)
            request_actions.request_payment(other, member, hours, HOUR, "Help", uuid.uuid4())

    ask(2)
    call(client, "get", "/payment-requests", headers=headers)
    with CaptureQueriesContext(connection) as few:
        assert call(client, "get", "/payment-requests", headers=headers).json()["count"] == 2
    ask(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(call(client, "get", "/payment-requests", headers=headers).json()["items"]) == 20


# --- The schema -------------------------------------------------------------------------------------------------


def test_every_ledger_endpoint_documents_the_errors_it_can_answer(client, db):
    schema = client.get(f"{API}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if operation["tags"] != ["ledger"]:
                continue
            statuses = set(operation["responses"])
            assert {"401", "422", "429"} <= statuses, (method, path)
            if method == "post":
                assert {"400", "403", "404", "409"} <= statuses, (method, path)
