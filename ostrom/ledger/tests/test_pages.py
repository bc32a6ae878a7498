"""The exchange pages through Django's test client, as a browser without JavaScript uses them: who may open
what, who may change what (and that nothing changes when refused), every form's bad input, and the
payment flow form → confirmation → receipt that never pays twice."""

import html
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, OrganisationFactory
from ostrom.communities.tests.test_pages import FormReader
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Account, AccountStatus, Currency, CurrencyKind, Transfer
from ostrom.ledger.views import accounts as account_views

HOUR = 60
PROBLEM = "There is a problem"


@pytest.fixture
def council_account(hours, organisation):
    return accounts.open_account(hours, organisation=organisation)


@pytest.fixture
def ledger(hours, member, coordinator, staff, outsider, mina_account, cora_account, council_account):
    """Riverside's hours with a payment from Mina to Cora and two hours held from Mina for the council."""
    paid = transfers.transfer(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Gardening")
    held = transfers.hold(debit=mina_account, credit=council_account, amount=2 * HOUR, key=uuid.uuid4(), memo="Room")
    return {"paid": paid.id, "held": held.id, "mina": mina_account.pk, "code": hours.code}


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def fresh(account):
    return Account.objects.get(pk=account.pk)


def counts():
    return (Transfer.objects.count(), Account.objects.count(), Currency.objects.count(), AuditEntry.objects.count())


def forms_in(response) -> list[dict]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return [f for f in reader.forms if f["method"].lower() == "post"]


def text(response) -> str:
    """The page's words as a reader sees them (with straight apostrophes, so tests needn't care which)."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(words.split()).replace("’", "'")


def assert_problem(response, *messages):
    assert response.status_code == 400, response.status_code
    page = text(response)
    assert PROBLEM in page
    for message in messages:
        assert message.replace("’", "'") in page, message


# Who may open what: one row per page, one column per persona.

PERSONAS = ("member", "coordinator", "staff", "outsider", "anonymous")
OK, DENIED, MISSING, NOT_ALLOWED, LOGIN = 200, 403, 404, 405, "login"
PAGES = {
    "exchange_home": ((), (OK, OK, OK, DENIED, LOGIN)),
    "ledger_send": ((), (OK, OK, OK, DENIED, LOGIN)),
    "ledger_send_confirm": ((), (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
    "ledger_receipt": (("paid",), (OK, OK, MISSING, DENIED, LOGIN)),
    "ledger_holds": ((), (OK, OK, OK, DENIED, LOGIN)),
    "ledger_hold_release": (("held",), (DENIED, OK, OK, DENIED, LOGIN)),
    "ledger_currencies": ((), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "ledger_currency_create": ((), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "ledger_accounts": (("code",), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "ledger_account": (("mina",), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "ledger_pay_on_behalf": (("mina",), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "ledger_pay_on_behalf_confirm": (("mina",), (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
    "ledger_reverse": (("paid",), (DENIED, OK, DENIED, DENIED, LOGIN)),
}


def test_the_table_covers_every_page():
    assert {p.name for p in account_views.urlpatterns} == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_each_page(ledger, personas, name, persona):
    args, expected = PAGES[name]
    url = reverse(name, args=["riverside", *[ledger[a] for a in args]])

    response = as_(personas[persona]).get(url)

    wanted = expected[PERSONAS.index(persona)]
    if wanted == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")
    else:
        assert response.status_code == wanted


def test_a_coordinator_cannot_open_another_communitys_account_through_their_own(ledger, coordinator, outsider):
    hillside = accounts.create_currency(outsider.community, code="hours", name="Hillside hours", kind="time")
    otto = accounts.open_account(hillside, member=outsider)
    client = as_(coordinator)

    assert client.get(reverse("ledger_account", args=["riverside", otto.pk])).status_code == 404
    assert client.get(reverse("ledger_pay_on_behalf", args=["riverside", otto.pk])).status_code == 404
    assert client.get(reverse("ledger_account", args=["hillside", otto.pk])).status_code == 403
    assert client.get(reverse("ledger_accounts", args=["riverside", "nothing"])).status_code == 404


def test_the_community_menu_leads_to_the_exchange(ledger, member):
    response = as_(member).get("/c/riverside/")

    assert 'href="/c/riverside/exchange/"' in response.content.decode()


# The exchange home


def test_home_shows_balance_spendable_limits_holds_and_the_latest_five(ledger, member, coordinator, mina_account):
    cora = Account.objects.get(member=coordinator)
    for minutes in (30, 15, 45, 20, 10):
        transfers.transfer(debit=cora, credit=mina_account, amount=minutes, key=uuid.uuid4(), memo=f"Help {minutes}")

    page = text(as_(member).get("/c/riverside/exchange/"))

    # 2 h received minus the hour paid; 10 h limit + 1 h balance - 2 h held = 9 h spendable
    assert "Balance 1 h" in page
    assert "Can still be spent 9 h" in page
    assert "Limit below zero 10 h" in page
    assert "2 h going out" in page
    for minutes in (30, 15, 45, 20, 10):
        assert f"Help {minutes}" in page
    assert "Gardening" not in page, "only the latest five transfers"


def test_home_links_each_account_to_its_statement(ledger, member, mina_account):
    content = as_(member).get("/c/riverside/exchange/").content.decode()

    assert f'href="{reverse("ledger_statement", args=["riverside", mina_account.pk])}"' in content


def test_home_says_a_frozen_account_can_spend_nothing(ledger, member, coordinator, mina_account):
    accounts.set_status(coordinator, mina_account, AccountStatus.FROZEN, "Checking a dispute")

    page = text(as_(member).get("/c/riverside/exchange/"))

    assert "Can still be spent nothing while the account is frozen" in page
    assert "Status Frozen: ask a coordinator" in page


def test_home_shows_an_unopened_account_at_the_default_limits(hours, member):
    page = text(as_(member).get("/c/riverside/exchange/"))

    assert "Your timebank hours" in page
    assert "Balance 0 min" in page
    assert "opens with your first payment" in page
    assert not Account.objects.filter(member=member).exists(), "looking opens nothing"


def test_staff_see_their_organisations_account_too(ledger, staff):
    page = text(as_(staff).get("/c/riverside/exchange/"))

    assert "Riverside Council: Timebank hours" in page
    assert "2 h coming in" in page


def test_home_without_a_currency_invites_coordinators_to_set_one_up(community, coordinator):
    response = as_(coordinator).get("/c/riverside/exchange/")

    assert "has no currency to trade in yet" in text(response)
    assert reverse("ledger_currency_create", args=["riverside"]) in response.content.decode()


# Sending: form → confirmation → receipt


def send_data(to, amount="1:30", **changes):
    return {"currency_code": "hours", "payee": f"member:{to.pk}", "amount": amount, "memo": "Ironing",
            "category": "", "key": str(uuid.uuid4())} | changes  # fmt: skip


def test_a_member_sends_an_hour_and_a_half_through_the_plain_forms(ledger, member, coordinator, mina_account):
    client = as_(member)
    form_page = client.get("/c/riverside/exchange/send/")
    (form,) = [f for f in forms_in(form_page) if "payee" in f["fields"]]
    key = form["fields"]["key"]
    assert uuid.UUID(key)

    confirm = client.post(form["action"], form["fields"] | {"payee": f"member:{coordinator.pk}", "amount": "1:30",
                                                            "memo": "Ironing"})  # fmt: skip
    assert confirm.status_code == 200
    page = text(confirm)
    assert "From Mina To Cora Amount 1 h 30 min" in page
    # -1 h now, -2 h 30 min after; 10 h limit with 2 h held leaves 5 h 30 min
    assert "Your balance after -2 h 30 min" in page
    assert "Can still be spent after 5 h 30 min" in page
    assert Transfer.objects.count() == 2, "the confirmation step writes nothing"

    (pay,) = forms_in(confirm)[-1:]
    assert pay["fields"]["key"] == key
    receipt = client.post(pay["action"], pay["fields"], follow=True)

    transfer = Transfer.objects.get(key=key)
    assert receipt.redirect_chain[-1][0] == f"/c/riverside/exchange/send/receipt/{transfer.pk}/"
    assert "Payment sent." in text(receipt)
    assert "Your balance after -2 h 30 min" in text(receipt)
    assert fresh(mina_account).balance == -150


def test_confirming_twice_pays_once(ledger, member, coordinator, mina_account):
    client = as_(member)
    data = send_data(coordinator)

    first = client.post("/c/riverside/exchange/send/confirm/", data)
    second = client.post("/c/riverside/exchange/send/confirm/", data, follow=True)

    assert first.status_code == 302
    assert second.redirect_chain[0][0] == first["Location"]
    assert "Nothing was paid twice" in text(second)
    assert Transfer.objects.filter(key=data["key"]).count() == 1
    assert fresh(mina_account).balance == -HOUR - 90


def test_a_used_form_changed_afterwards_asks_to_check_and_gets_a_new_key(ledger, member, coordinator):
    client = as_(member)
    data = send_data(coordinator)
    client.post("/c/riverside/exchange/send/confirm/", data)
    before = counts()

    response = client.post("/c/riverside/exchange/send/confirm/", data | {"amount": "3:00"})

    assert_problem(response, "already used for another payment")
    (form,) = [f for f in forms_in(response) if "payee" in f["fields"]]
    assert form["fields"]["key"] != data["key"]
    assert counts() == before


def test_change_the_details_shows_the_form_filled_in(ledger, member, coordinator):
    response = as_(member).post("/c/riverside/exchange/send/", send_data(coordinator, memo="Ironing") | {"change": "1"})

    assert response.status_code == 200
    (form,) = [f for f in forms_in(response) if "payee" in f["fields"]]
    assert (form["fields"]["payee"], form["fields"]["amount"]) == (f"member:{coordinator.pk}", "1:30")


def test_the_payee_list_offers_active_members_and_organisations_but_not_yourself(ledger, member, coordinator):
    content = as_(member).get("/c/riverside/exchange/send/").content.decode()

    assert f'value="member:{coordinator.pk}"' in content
    assert f'value="member:{member.pk}"' not in content
    assert "Riverside Council" in content


def test_staff_pay_from_their_organisations_account(ledger, staff, member, council_account):
    response = as_(staff).post("/c/riverside/exchange/send/", send_data(member) | {"pay_from": "organisation"})
    assert "Riverside Council's balance after -1 h 30 min" in text(response)

    as_(staff).post("/c/riverside/exchange/send/confirm/", send_data(member) | {"pay_from": "organisation"})

    assert fresh(council_account).balance == -90


def test_a_member_cannot_choose_to_pay_from_an_organisation(ledger, member, coordinator):
    before = counts()

    as_(member).post("/c/riverside/exchange/send/confirm/", send_data(coordinator) | {"pay_from": "organisation"})

    assert Transfer.objects.filter(debit_account__organisation__isnull=False).count() == 0
    assert counts()[0] == before[0] + 1, "the field is ignored: Mina pays from her own account"


@pytest.fixture
def frozen_staff_account(hours, staff, coordinator):
    account = accounts.open_account(hours, member=staff)
    accounts.set_status(coordinator, account, AccountStatus.FROZEN, "Lost phone")
    return account


def bad_sends(member, coordinator, staff, outsider):
    return {
        "zero": (send_data(coordinator, "0"), "The amount must be more than zero."),
        "negative": (send_data(coordinator, "-1"), "The amount must be more than zero."),
        "two decimal points": (send_data(coordinator, "1.5.3"), "Enter the amount as a number"),
        "a fraction of a minute": (send_data(coordinator, "0.001"), "can’t be smaller than a minute"),
        "huge": (send_data(coordinator, "99999999999999"), "far too large"),
        "not a number": (send_data(coordinator, "lots"), "Enter the amount as a number"),
        "yourself": (send_data(member), "Choose someone from the list."),
        "another community's member": (send_data(outsider), "Choose someone from the list."),
        "an unknown currency": (send_data(coordinator, currency_code="gold"), "Choose a currency."),
        "no memo": (send_data(coordinator, memo=""), "Say what the payment is for."),
        "a frozen payee": (send_data(staff), "The account of Sam is frozen."),
        "over the limit": (send_data(coordinator, "10:00"), "at most 7 h, counting amounts on hold"),
        "no key": (send_data(coordinator, key=""), "This form is out of date"),
    }


BAD_SENDS = [
    "zero",
    "negative",
    "two decimal points",
    "a fraction of a minute",
    "huge",
    "not a number",
    "yourself",
    "another community's member",
    "an unknown currency",
    "no memo",
    "a frozen payee",
    "over the limit",
    "no key",
]


@pytest.mark.parametrize("step", ["send", "send/confirm"])
@pytest.mark.parametrize("case", BAD_SENDS)
def test_bad_payments_are_refused_with_the_reason_and_write_nothing(
    ledger, member, coordinator, staff, outsider, frozen_staff_account, step, case
):
    data, message = bad_sends(member, coordinator, staff, outsider)[case]
    before = counts()

    response = as_(member).post(f"/c/riverside/exchange/{step}/", data)

    assert_problem(response, message)
    assert counts() == before


def test_a_payee_from_another_community_forged_as_an_organisation_is_refused(ledger, member, other_community):
    foreign = OrganisationFactory(community=other_community)
    before = counts()

    response = as_(member).post(
        "/c/riverside/exchange/send/confirm/", send_data(member, payee=f"organisation:{foreign.pk}")
    )

    assert_problem(response, "Choose someone from the list.")
    assert counts() == before


# Coordinators: paying on a member's behalf


def behalf_data(to, **changes):
    return {"payee": f"member:{to.pk}", "amount": "1", "memo": "Shopping", "category": "",
            "reason": "Mina has no internet", "key": str(uuid.uuid4())} | changes  # fmt: skip


def test_a_coordinator_pays_on_a_members_behalf_after_checking(ledger, coordinator, staff, mina_account):
    client = as_(coordinator)
    url = f"/c/riverside/exchange/accounts/{mina_account.pk}/pay/"

    confirm = client.post(url, behalf_data(staff))
    assert "Mina's balance after -2 h" in text(confirm)
    (pay,) = forms_in(confirm)[-1:]
    assert pay["action"] == f"{url}confirm/"
    receipt = client.post(pay["action"], pay["fields"], follow=True)

    assert "Made by Cora Coordinator, on Mina's behalf" in text(receipt)
    transfer = Transfer.objects.get(key=pay["fields"]["key"])
    assert (transfer.on_behalf_of_id, transfer.created_by_id) == (mina_account.member_id, coordinator.user_id)
    assert AuditEntry.objects.filter(action="ledger.paid_on_behalf", reason="Mina has no internet").count() == 1


def test_the_coordinator_is_not_offered_as_the_payee_when_paying_for_someone(ledger, coordinator, mina_account):
    content = as_(coordinator).get(f"/c/riverside/exchange/accounts/{mina_account.pk}/pay/").content.decode()

    assert f'value="member:{coordinator.pk}"' not in content
    assert f'value="member:{mina_account.member_id}"' not in content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "Say why you are paying on their behalf."),
        ({"amount": "0"}, "The amount must be more than zero."),
        ({"amount": "-2"}, "The amount must be more than zero."),
        ({"amount": "1.5.3"}, "Enter the amount as a number"),
        ({"amount": "0.001"}, "can’t be smaller than a minute"),
        ({"amount": "99999999999999"}, "far too large"),
        ({"amount": "9"}, "That is more than Mina can pay now: at most 7 h"),
        ({"payee": "organisation:999999"}, "Choose someone from the list."),
    ],
)
@pytest.mark.parametrize("step", ["pay/", "pay/confirm/"])
def test_bad_payments_on_behalf_are_refused_and_write_nothing(ledger, coordinator, staff, mina_account, changes,
                                                               message, step):  # fmt: skip
    before = counts()

    response = as_(coordinator).post(
        f"/c/riverside/exchange/accounts/{mina_account.pk}/{step}", behalf_data(staff, **changes)
    )

    assert_problem(response, message)
    assert counts() == before


def test_a_member_cannot_pay_on_someone_elses_behalf(ledger, member, staff, cora_account):
    before = counts()

    response = as_(member).post(f"/c/riverside/exchange/accounts/{cora_account.pk}/pay/confirm/", behalf_data(staff))

    assert response.status_code == 403
    assert counts() == before


# Coordinators: limits and status


def limits_post(client, account, **data):
    fields = {"form": "limits", "limits-debit_limit": "", "limits-credit_limit": "", "limits-reason": ""}
    fields |= {f"limits-{k}": v for k, v in data.items()}
    return client.post(f"/c/riverside/exchange/accounts/{account.pk}/manage/", fields)


def test_a_coordinator_changes_limits_typed_as_hours_and_it_is_audited(ledger, coordinator, mina_account):
    response = limits_post(as_(coordinator), mina_account, debit_limit="20:00", credit_limit="40", reason="Active")

    assert response.status_code == 302
    account = fresh(mina_account)
    assert (account.debit_limit, account.credit_limit) == (20 * HOUR, 40 * HOUR)
    assert AuditEntry.objects.get(action="ledger.limits_changed").reason == "Active"
    page = text(as_(coordinator).get(f"/c/riverside/exchange/accounts/{mina_account.pk}/manage/"))
    assert "ledger.limits_changed by Cora Coordinator – Active" in page


def test_the_limits_form_shows_the_current_limits_ready_to_edit(ledger, coordinator, mina_account):
    content = as_(coordinator).get(f"/c/riverside/exchange/accounts/{mina_account.pk}/manage/").content.decode()

    assert 'name="limits-debit_limit" value="10:00"' in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"debit_limit": "20:00", "reason": ""}, "Say why the limits are changing."),
        ({"debit_limit": "-5", "reason": "Why not"}, "A limit can’t be below zero."),
        ({"debit_limit": "1.5.3", "reason": "Why not"}, "Enter the amount as a number"),
        ({"debit_limit": "0.001", "reason": "Why not"}, "can’t be smaller than a minute"),
        ({"debit_limit": "99999999999999", "reason": "Why not"}, "far too large"),
        ({"debit_limit": "2:00", "reason": "Too far below"}, "already further below zero than that limit"),
    ],
)
def test_bad_limits_are_refused_and_nothing_changes(ledger, coordinator, mina_account, data, message):
    before = counts()

    response = limits_post(as_(coordinator), mina_account, **data)

    assert_problem(response, message)
    assert fresh(mina_account).debit_limit == 10 * HOUR
    assert counts() == before


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_change_limits(ledger, personas, mina_account, persona):
    response = limits_post(as_(personas[persona]), mina_account, debit_limit="99:00", reason="Me")

    assert response.status_code == 403
    assert fresh(mina_account).debit_limit == 10 * HOUR


def status_post(client, account, status, reason="Checking a dispute"):
    return client.post(
        f"/c/riverside/exchange/accounts/{account.pk}/manage/",
        {"form": "status", "status-status": status, "status-reason": reason},
    )


def test_a_coordinator_freezes_and_unfreezes_an_account(ledger, coordinator, mina_account):
    client = as_(coordinator)

    assert status_post(client, mina_account, "frozen").status_code == 302
    assert fresh(mina_account).status == AccountStatus.FROZEN
    assert status_post(client, mina_account, "active", "Resolved").status_code == 302

    assert fresh(mina_account).status == AccountStatus.ACTIVE
    assert AuditEntry.objects.filter(action__in=["ledger.account_frozen", "ledger.account_active"]).count() == 2


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("closed", "Moving away", "Only an account at zero with no holds can be closed."),
        ("frozen", "", "Say why."),
        ("melted", "Because", "Select a valid choice"),
        ("active", "Already active", "Select a valid choice"),
    ],
)
def test_bad_status_changes_are_refused_and_nothing_changes(ledger, coordinator, mina_account, status, reason, message):
    before = counts()

    response = status_post(as_(coordinator), mina_account, status, reason)

    assert_problem(response, message)
    assert fresh(mina_account).status == AccountStatus.ACTIVE
    assert counts() == before


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_freeze_accounts(ledger, personas, cora_account, persona):
    assert status_post(as_(personas[persona]), cora_account, "frozen").status_code == 403
    assert fresh(cora_account).status == AccountStatus.ACTIVE


def test_the_account_list_marks_accounts_near_their_limit(ledger, coordinator, member, mina_account, cora_account):
    transfers.transfer(debit=mina_account, credit=cora_account, amount=6 * HOUR, key=uuid.uuid4())  # 9 h of 10 h used

    page = text(as_(coordinator).get("/c/riverside/exchange/currencies/hours/accounts/"))

    assert re.search(r"Mina Member -7 h 10 h no limit Active Near its limit below zero", page)
    assert not re.search(r"Cora Member 7 h 10 h no limit Active Near", page)


# Coordinators: reversing a transfer


def test_a_coordinator_reverses_a_transfer_after_saying_why(ledger, coordinator, mina_account):
    client = as_(coordinator)
    url = f"/c/riverside/exchange/transfers/{ledger['paid']}/reverse/"
    assert "Reversing moves 1 h back from Cora to Mina" in text(client.get(url))

    response = client.post(url, {"reason": "Entered twice"})
    again = client.post(url, {"reason": "Entered twice"})

    assert response.status_code == 302
    assert_problem(again, "already been reversed")
    assert Transfer.objects.filter(reverses_id=ledger["paid"]).count() == 1
    assert fresh(mina_account).balance == 0


def test_a_reversal_needs_a_reason(ledger, coordinator):
    before = counts()

    response = as_(coordinator).post(f"/c/riverside/exchange/transfers/{ledger['paid']}/reverse/", {"reason": " "})

    assert_problem(response, "Say why.")
    assert counts() == before


def test_a_hold_cannot_be_reversed(ledger, coordinator):
    response = as_(coordinator).post(f"/c/riverside/exchange/transfers/{ledger['held']}/reverse/", {"reason": "Oops"})

    assert_problem(response, "Only a completed payment can be reversed")


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_reverse_transfers(ledger, personas, persona):
    response = as_(personas[persona]).post(
        f"/c/riverside/exchange/transfers/{ledger['paid']}/reverse/", {"reason": "x"}
    )

    assert response.status_code == 403
    assert not Transfer.objects.filter(reverses_id=ledger["paid"]).exists()


# Holds


def test_a_coordinator_releases_a_hold_only_with_a_reason(ledger, coordinator, mina_account):
    client = as_(coordinator)
    url = f"/c/riverside/exchange/holds/{ledger['held']}/release/"

    assert_problem(client.post(url, {"reason": ""}), "Say why.")
    assert fresh(mina_account).debits_pending == 2 * HOUR
    assert client.post(url, {"reason": "Booking cancelled"}).status_code == 302

    assert fresh(mina_account).debits_pending == 0
    assert "already been taken or released" in text(client.get(url))


def test_the_organisation_a_hold_is_for_gives_it_up_without_a_reason(ledger, staff, mina_account):
    response = as_(staff).post(f"/c/riverside/exchange/holds/{ledger['held']}/release/", {"reason": ""})

    assert response.status_code == 302
    assert fresh(mina_account).debits_pending == 0


def test_the_payer_cannot_release_their_own_hold(ledger, member, mina_account):
    response = as_(member).post(f"/c/riverside/exchange/holds/{ledger['held']}/release/", {"reason": "Mine"})

    assert response.status_code == 403
    assert fresh(mina_account).debits_pending == 2 * HOUR


def test_the_holds_page_lists_the_viewers_holds_and_coordinators_see_everyones(ledger, member, coordinator):
    assert "Room" in text(as_(member).get("/c/riverside/exchange/holds/"))
    page = text(as_(coordinator).get("/c/riverside/exchange/holds/"))

    assert "Yours Nothing is on hold." in page
    assert "Everyone's in Riverside Timebank" in page and "Room" in page


def test_a_transfer_that_is_not_a_hold_has_no_release_page(ledger, coordinator):
    assert as_(coordinator).get(f"/c/riverside/exchange/holds/{ledger['paid']}/release/").status_code == 404


# Coordinators: currencies


def currency_data(**changes):
    return {"kind": "credit", "name": "Green credits", "code": "green", "symbol": "₲", "scale": "100",
            "default_debit_limit": "0", "default_credit_limit": "", "limit_growth_permille": "0",
            "limit_growth_cap": "", "issuance_limit": "1000"} | changes  # fmt: skip


def test_a_coordinator_sets_up_community_credits(community, coordinator):
    response = as_(coordinator).post("/c/riverside/exchange/currencies/new/", currency_data(), follow=True)

    assert "Green credits is ready" in text(response)
    green = Currency.objects.get(code="green")
    assert (green.kind, green.scale, green.default_credit_limit) == (CurrencyKind.CREDIT, 100, None)
    assert accounts.system_account(green, "issuance").debit_limit == 100_000
    assert AuditEntry.objects.filter(action="ledger.currency_created").count() == 1


def test_a_time_currency_takes_limits_in_hours(community, coordinator):
    data = currency_data(kind="time", code="hours", default_debit_limit="10:00", limit_growth_permille="500",
                         limit_growth_cap="20h", issuance_limit="")  # fmt: skip
    as_(coordinator).post("/c/riverside/exchange/currencies/new/", data)

    hours = Currency.objects.get(code="hours")
    assert (hours.scale, hours.default_debit_limit, hours.limit_growth_cap) == (60, 600, 1200)
    assert accounts.system_account(hours, "issuance").debit_limit == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "hours"}, "already has a currency with that code"),
        ({"code": "Green Credits"}, "Use only lower-case letters"),
        ({"name": ""}, "Enter name."),
        ({"kind": ""}, "Choose time or credits."),
        ({"default_debit_limit": "-5"}, "A limit can’t be below zero."),
        ({"default_debit_limit": "1.5.3"}, "Enter the amount as a number"),
        ({"default_debit_limit": "0.001"}, "can’t be smaller than 1/100"),
        ({"issuance_limit": "99999999999999"}, "far too large"),
        ({"limit_growth_permille": "2000"}, "less than or equal to 1000"),
        ({"default_debit_limit": "50", "limit_growth_cap": "10"}, "The cap must be at least the default limit"),
    ],
)
def test_bad_currency_settings_are_refused_and_nothing_is_written(hours, coordinator, changes, message):
    before = counts()

    response = as_(coordinator).post("/c/riverside/exchange/currencies/new/", currency_data(**changes))

    assert_problem(response, message)
    assert counts() == before


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_set_up_currencies(community, personas, persona):
    response = as_(personas[persona]).post("/c/riverside/exchange/currencies/new/", currency_data())

    assert response.status_code == 403
    assert not Currency.objects.exists()


def test_the_currency_list_shows_default_limits_in_words(ledger, coordinator):
    page = text(as_(coordinator).get("/c/riverside/exchange/currencies/"))

    assert "Timebank hours hours Time (hours and minutes) 10 h no limit 3" in page


def test_the_account_list_and_home_cost_the_same_queries_however_many_accounts(ledger, hours, community, coordinator):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert as_(coordinator).get(url).status_code == 200
        return len(captured)

    few = (queries("/c/riverside/exchange/currencies/hours/accounts/"), queries("/c/riverside/exchange/"))
    cora = Account.objects.get(member=coordinator)
    for _ in range(15):
        account = accounts.open_account(hours, member=MemberFactory(community=community))
        transfers.transfer(debit=account, credit=cora, amount=HOUR, key=uuid.uuid4(), memo="Help")

    assert (queries("/c/riverside/exchange/currencies/hours/accounts/"), queries("/c/riverside/exchange/")) == few


# The Django admin: for looking, not for changing money


@pytest.fixture
def superuser(db):
    from ostrom.communities.models import User

    return User.objects.create_superuser("root@example.org", "root pass phrase", full_name="Root")


@pytest.mark.parametrize("model", ["currency", "account", "transfer", "transferbatch", "paymentrequest",
                                   "communitylink", "ledgersettings"])  # fmt: skip
def test_the_admin_lists_every_ledger_table(ledger, superuser, model):
    client = Client()
    client.force_login(superuser)

    assert client.get(f"/admin/ledger/{model}/").status_code == 200


def test_the_admin_cannot_change_or_delete_a_transfer(ledger, superuser):
    client = Client()
    client.force_login(superuser)
    url = f"/admin/ledger/transfer/{ledger['paid']}/"

    page = client.get(f"{url}change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/ledger/transfer/add/").status_code == 403
    assert Transfer.objects.filter(pk=ledger["paid"]).exists()


def test_the_admin_shows_account_totals_but_cannot_edit_them(ledger, superuser, mina_account):
    client = Client()
    client.force_login(superuser)

    client.post(f"/admin/ledger/account/{mina_account.pk}/change/", {"name": "Renamed", "debits_posted": "0"})

    account = fresh(mina_account)
    assert (account.name, account.debits_posted) == ("Renamed", HOUR)
