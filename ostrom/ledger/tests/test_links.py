"""Trade between communities, as stories: Riverside (timebank hours) and Hillside (credits) agree that one hour is
worth ten credits. Cora, Riverside's coordinator, proposes; Hana, Hillside's coordinator, accepts, trusting
Riverside for 20 credits. Then Mina pays Otto of Hillside, and Otto pays Mina, through both clearing accounts.
The last part checks the pages: who can open and use each, and that bad input writes nothing."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.urls import reverse

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import CoordinatorFactory, UserFactory
from ostrom.ledger.actions import accounts
from ostrom.ledger.actions import links as actions
from ostrom.ledger.models import Account, AccountKind, CommunityLink, CurrencyKind, Transfer

HOUR = 60


@pytest.fixture
def credits(other_community):
    """Hillside's credits, whole units; members may go 50 below zero."""
    return accounts.create_currency(
        other_community, code="credits", name="Hillside credits", kind=CurrencyKind.CREDIT, default_debit_limit=50
    )


@pytest.fixture
def hana(other_community):
    return CoordinatorFactory(
        community=other_community,
        user=UserFactory(full_name="Hana Hillside", email="hana@example.org"),
        display_name="Hana",
    )


@pytest.fixture
def proposed(coordinator, other_community, hours, credits):
    """Cora proposes: one minute is worth 1/6 of a credit (an hour, ten credits); Riverside trusts Hillside for 5 h."""
    return actions.link_communities(coordinator, other_community, hours, credits, 1, 6, 5 * HOUR)


@pytest.fixture
def linked(proposed, hana):
    return actions.accept_link(hana, proposed, 20)


def clearing(link, community):
    return Account.objects.get(link=link, community=community)


def balance(currency, member):
    return Account.objects.get(currency=currency, member=member).balance


def sums_are_zero(*currencies):
    for currency in currencies:
        totals = Account.objects.filter(currency=currency).aggregate(d=Sum("debits_posted"), c=Sum("credits_posted"))
        assert (totals["d"] or 0) == (totals["c"] or 0), currency


# Agreeing a link


def test_a_link_proposed_by_one_community_waits_for_the_other(proposed, member, outsider, community, other_community):
    assert not proposed.is_active
    assert clearing(proposed, community).debit_limit == 5 * HOUR
    assert clearing(proposed, other_community).debit_limit == 0
    assert clearing(proposed, community).kind == AccountKind.CLEARING

    with pytest.raises(DomainError) as refused:
        actions.pay_across(member, outsider, HOUR, uuid.uuid4())

    assert refused.value.code == "link_not_active"
    assert "Hillside Network has not yet agreed" in refused.value.message
    assert Transfer.objects.count() == 0
    for side in (community, other_community):
        assert AuditEntry.objects.filter(community=side, action="ledger.link_proposed").count() == 1


def test_accepting_sets_the_partners_trust_and_is_audited_on_both_sides(linked, community, other_community, hana):
    assert linked.is_active and CommunityLink.objects.get().is_active
    assert clearing(linked, other_community).debit_limit == 20
    for side in (community, other_community):
        entry = AuditEntry.objects.get(community=side, action="ledger.link_accepted")
        assert (entry.actor, entry.details["trust"]) == (hana.user, 20)


def test_only_coordinators_propose_and_only_the_partners_coordinators_accept(
    proposed, member, coordinator, outsider, hana, other_community, hours, credits
):
    attempts = {
        "not_coordinator": [
            lambda: actions.link_communities(member, other_community, hours, credits, 1, 6, 0),
            lambda: actions.accept_link(outsider, proposed, 20),
        ],
        "not_your_link": [lambda: actions.accept_link(coordinator, proposed, 20)],
    }
    for code, calls in attempts.items():
        for attempt in calls:
            with pytest.raises(DomainError) as refused:
                attempt()
            assert refused.value.code == code
    assert not CommunityLink.objects.get().is_active

    actions.accept_link(hana, proposed, 20)
    with pytest.raises(DomainError) as again:
        actions.accept_link(hana, proposed, 40)
    assert again.value.code == "link_already_active"
    assert clearing(proposed, other_community).debit_limit == 20


BAD_PROPOSALS = {
    "a zero rate": ({"rate_numerator": 0}, "invalid_rate"),
    "a huge rate": ({"rate_denominator": 10**7}, "invalid_rate"),
    "a negative trust": ({"trust_extended": -1}, "invalid_trust"),
    "a fractional trust": ({"trust_extended": 1.5}, "invalid_trust"),
    "trading with yourself": ({"partner": "community", "partner_currency": "hours"}, "link_to_self"),
    "their currency as ours": ({"currency": "credits"}, "currency_unknown"),
    "our currency as theirs": ({"partner_currency": "hours"}, "currency_unknown"),
}


@pytest.mark.parametrize("case", BAD_PROPOSALS.keys())
def test_a_bad_proposal_is_refused_and_writes_nothing(case, coordinator, community, other_community, hours, credits):
    named = {"community": community, "hours": hours, "credits": credits}
    proposal = {
        "partner": other_community, "currency": hours, "partner_currency": credits, "rate_numerator": 1,
        "rate_denominator": 6, "trust_extended": 0,
    }  # fmt: skip
    changes, code = BAD_PROPOSALS[case]
    proposal.update({field: named.get(value, value) for field, value in changes.items()})
    counts = (CommunityLink.objects.count(), Account.objects.count(), AuditEntry.objects.count())

    with pytest.raises(DomainError) as refused:
        actions.link_communities(coordinator, **proposal)

    assert refused.value.code == code
    assert (CommunityLink.objects.count(), Account.objects.count(), AuditEntry.objects.count()) == counts


def test_the_same_pair_of_currencies_is_linked_once_whoever_proposes(proposed, hana, community, hours, credits):
    with pytest.raises(DomainError) as refused:
        actions.link_communities(hana, community, credits, hours, 6, 1, 20)

    assert refused.value.code == "link_exists"
    assert CommunityLink.objects.count() == 1


# Paying across


def test_an_hour_from_mina_arrives_as_ten_credits_for_otto(linked, member, outsider, community, other_community):
    paid = actions.pay_across(member, outsider, HOUR, uuid.uuid4(), "Bike repair")

    assert (paid.sent.amount, paid.received.amount) == (HOUR, 10)
    assert balance(linked.currency, member) == -HOUR
    assert balance(linked.partner_currency, outsider) == 10
    assert clearing(linked, community).balance == HOUR
    assert clearing(linked, other_community).balance == -10
    assert set(Transfer.objects.values_list("memo", "reference")) == {("Bike repair", f"link:{linked.pk}")}
    sums_are_zero(linked.currency, linked.partner_currency)


def test_a_payment_the_other_way_converts_back(linked, member, outsider, community, other_community):
    actions.pay_across(outsider, member, 10, uuid.uuid4(), "Jam")

    assert balance(linked.partner_currency, outsider) == -10
    assert balance(linked.currency, member) == HOUR
    assert clearing(linked, community).balance == -HOUR
    sums_are_zero(linked.currency, linked.partner_currency)


def test_retrying_a_payment_across_changes_nothing(linked, member, outsider):
    key = uuid.uuid4()
    first = actions.pay_across(member, outsider, HOUR, key, "Bike repair")
    again = actions.pay_across(member, outsider, HOUR, key, "Bike repair")

    assert again.replayed and (again.sent.id, again.received.id) == (first.sent.id, first.received.id)
    assert Transfer.objects.count() == 2
    with pytest.raises(DomainError) as refused:
        actions.pay_across(member, outsider, 2 * HOUR, key, "Bike repair")
    assert refused.value.code == "exists_with_different_amount"
    assert balance(linked.partner_currency, outsider) == 10


def test_a_payment_past_the_partners_trust_is_refused_whole(linked, member, outsider, other_community):
    actions.pay_across(member, outsider, 2 * HOUR, uuid.uuid4())  # 20 credits: all the trust Hillside extends
    transfers_before = Transfer.objects.count()

    with pytest.raises(DomainError) as refused:
        actions.pay_across(member, outsider, 6, uuid.uuid4())  # one credit more

    assert refused.value.code == "trust_limit_exceeded"
    assert "Hillside Network trusts Riverside Timebank for at most 20" in refused.value.message
    assert "trust limit" in refused.value.message
    assert Transfer.objects.count() == transfers_before
    assert balance(linked.currency, member) == -2 * HOUR  # Riverside's leg was undone too
    assert clearing(linked, other_community).balance == -20
    sums_are_zero(linked.currency, linked.partner_currency)


def test_a_payment_flowing_back_makes_room_within_the_trust(linked, member, outsider):
    actions.pay_across(member, outsider, 2 * HOUR, uuid.uuid4())
    actions.pay_across(outsider, member, 10, uuid.uuid4())

    actions.pay_across(member, outsider, HOUR, uuid.uuid4())

    assert balance(linked.partner_currency, outsider) == 20


def race(calls):
    """Run the calls at the same moment from separate connections; return what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        start.wait()
        try:
            outcomes.append(call())
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_payments_racing_for_the_last_of_the_trust_never_overdraw_it(linked, member, coordinator, outsider):
    if connection.vendor != "postgresql":
        pytest.skip("Separate connections racing for row locks need PostgreSQL.")
    key = uuid.uuid4()
    # Four retries of one payment, and four other payments of an hour: Hillside's 20 credits of trust cover two.
    outcomes = race(
        [lambda: actions.pay_across(member, outsider, HOUR, key)] * 4
        + [lambda: actions.pay_across(coordinator, outsider, HOUR, uuid.uuid4())] * 4
    )

    paid = [o for o in outcomes if isinstance(o, actions.CrossPayment)]
    assert len({(p.sent.id, p.received.id) for p in paid}) == 2
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["trust_limit_exceeded"] * (8 - len(paid))
    assert balance(linked.partner_currency, outsider) == 20
    sums_are_zero(linked.currency, linked.partner_currency)


BAD_PAYMENTS = {
    "an amount worth less than one credit": ({"amount": 5}, "amount_too_small_to_convert"),
    "a zero amount": ({"amount": 0}, "amount_not_positive"),
    "more than Mina may spend": ({"amount": 11 * HOUR}, "debit_limit_exceeded"),
    "a member of your own community": ({"payee": "coordinator"}, "same_community"),
    "a key that is not a UUID": ({"key": "abc"}, "invalid_key"),
}


@pytest.mark.parametrize("case", BAD_PAYMENTS.keys())
def test_a_bad_payment_across_is_refused_and_writes_nothing(case, linked, member, coordinator, outsider):
    payment = {"payer": member, "payee": outsider, "amount": HOUR, "key": uuid.uuid4()}
    changes, code = BAD_PAYMENTS[case]
    payment.update({k: coordinator if v == "coordinator" else v for k, v in changes.items()})
    counts = (Transfer.objects.count(), Account.objects.count())

    with pytest.raises(DomainError) as refused:
        actions.pay_across(**payment)

    assert refused.value.code == code
    assert (Transfer.objects.count(), Account.objects.count()) == counts


def test_without_a_link_there_is_no_payment_across(member, outsider, hours, credits):
    with pytest.raises(DomainError) as refused:
        actions.pay_across(member, outsider, HOUR, uuid.uuid4())

    assert refused.value.code == "no_link"
    assert Transfer.objects.count() == 0


# Pages


@pytest.fixture
def cast(member, coordinator, admin_member, staff, outsider, hana):
    return {
        "member": member,
        "coordinator": coordinator,
        "admin": admin_member,
        "staff": staff,
        "outsider": outsider,
        "hana": hana,
        "anonymous": None,
    }


LOGIN = "login"
LINKS_PAGE = {"member": 403, "coordinator": 200, "admin": 200, "staff": 403, "outsider": 403, "anonymous": LOGIN}
PAY_PAGE = {"member": 200, "coordinator": 200, "admin": 200, "staff": 200, "outsider": 403, "anonymous": LOGIN}


def get_as(client, cast, persona, path):
    if cast[persona] is not None:
        client.force_login(cast[persona].user)
    return client.get(path)


def check(response, expected, path):
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("persona", LINKS_PAGE.keys())
def test_only_coordinators_open_the_links_page(client, cast, linked, persona):
    path = reverse("ledger_link_list", args=["riverside"])

    check(get_as(client, cast, persona, path), LINKS_PAGE[persona], path)


@pytest.mark.parametrize("persona", PAY_PAGE.keys())
def test_every_active_member_opens_the_page_to_pay_another_community(client, cast, linked, persona):
    path = reverse("ledger_link_pay", args=["riverside"])

    check(get_as(client, cast, persona, path), PAY_PAGE[persona], path)


ACCEPT_PAGE = {
    ("hana", "hillside"): 200,
    ("outsider", "hillside"): 403,
    ("coordinator", "riverside"): 404,  # Riverside proposed it: only Hillside accepts
    ("coordinator", "hillside"): 403,
    ("anonymous", "hillside"): LOGIN,
}


@pytest.mark.parametrize(("persona", "slug"), ACCEPT_PAGE.keys())
def test_only_the_invited_communitys_coordinators_open_the_accept_page(client, cast, proposed, persona, slug):
    path = reverse("ledger_link_accept", args=[slug, proposed.pk])

    check(get_as(client, cast, persona, path), ACCEPT_PAGE[(persona, slug)], path)


def test_an_agreed_link_has_no_accept_page(client, hana, linked):
    client.force_login(hana.user)

    assert client.get(reverse("ledger_link_accept", args=["hillside", linked.pk])).status_code == 404


def proposal_form(hours, credits, **changes):
    data = {
        "currency": hours.pk,
        "partner_currency": credits.pk,
        "our_amount": "1:00",
        "their_amount": "10",
        "trust": "5:00",
    }
    return {**data, **changes}


def test_a_coordinator_proposes_an_hour_for_ten_credits_through_the_page(
    client, coordinator, community, hours, credits
):
    client.force_login(coordinator.user)

    response = client.post(reverse("ledger_link_list", args=["riverside"]), proposal_form(hours, credits), follow=True)

    link = CommunityLink.objects.get()
    assert (link.rate_numerator, link.rate_denominator, link.is_active) == (1, 6, False)
    assert clearing(link, community).debit_limit == 5 * HOUR
    page = response.content.decode()
    assert (
        "Link proposed." in page
        and "1 h of Timebank hours = 10 Hillside credits" in page
        and "Waiting for them" in page
    )


BAD_PROPOSAL_FORMS = {
    "no partner": ({"partner_currency": ""}, "Choose the other community and its currency."),
    "our own currency as theirs": ({"partner_currency": "hours"}, "Select a valid choice."),
    "words for our amount": ({"our_amount": "an hour"}, "Enter the amount as a number"),
    "a zero amount of theirs": ({"their_amount": "0"}, "The amount must be more than zero."),
    "no trust given": ({"trust": ""}, "Enter how much your community trusts them (0 for nothing)."),
    "a negative trust": ({"trust": "-2"}, "The trust can be zero or more, never below zero."),
    "a rate too fine to keep": ({"our_amount": "1000000", "their_amount": "999999"}, "Both parts of the rate"),
}


@pytest.mark.parametrize("case", BAD_PROPOSAL_FORMS.keys())
def test_the_proposal_form_rejects_bad_input_and_writes_nothing(client, coordinator, hours, credits, case):
    client.force_login(coordinator.user)
    changes, message = BAD_PROPOSAL_FORMS[case]
    changes = {k: hours.pk if v == "hours" else v for k, v in changes.items()}
    counts = (CommunityLink.objects.count(), Account.objects.count(), AuditEntry.objects.count())

    response = client.post(reverse("ledger_link_list", args=["riverside"]), proposal_form(hours, credits, **changes))

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert (CommunityLink.objects.count(), Account.objects.count(), AuditEntry.objects.count()) == counts


def test_the_partner_accepts_through_the_page(client, hana, proposed, other_community):
    client.force_login(hana.user)
    path = reverse("ledger_link_accept", args=["hillside", proposed.pk])

    assert "5 h of Timebank hours" in client.get(path).content.decode()  # how far Riverside trusts them
    refused = client.post(path, {"trust": "lots"})
    assert refused.status_code == 400 and not CommunityLink.objects.get().is_active
    assert client.post(path, {"trust": "20"}).status_code == 302

    assert CommunityLink.objects.get().is_active
    assert clearing(proposed, other_community).debit_limit == 20


def test_the_links_page_shows_the_clearing_balance(client, coordinator, linked, member, outsider):
    actions.pay_across(member, outsider, 90, uuid.uuid4())
    client.force_login(coordinator.user)

    page = client.get(reverse("ledger_link_list", args=["riverside"])).content.decode()

    assert "<td>1 h 30 min of Timebank hours</td>" in page  # Riverside's clearing account holds what Mina sent
    assert "<td>20 Hillside credits</td>" in page  # Hillside's trust in credits
    assert "Agreed" in page


def pay_form(link, payee_member, **changes):
    data = {"payee": f"{link.pk}:{payee_member.pk}", "amount": "1:00", "memo": "Bike repair", "key": str(uuid.uuid4())}
    return {**data, **changes}


def test_a_member_pays_a_member_of_another_community_through_the_page(client, member, outsider, linked):
    client.force_login(member.user)

    response = client.post(reverse("ledger_link_pay", args=["riverside"]), pay_form(linked, outsider), follow=True)

    assert (
        "You paid Otto of Hillside Network 1 h of Timebank hours; they received 10 Hillside credits."
        in response.content.decode()
    )
    assert balance(linked.partner_currency, outsider) == 10


def test_sending_the_payment_form_twice_pays_once(client, member, outsider, linked):
    client.force_login(member.user)
    form = pay_form(linked, outsider)

    for _ in range(2):
        client.post(reverse("ledger_link_pay", args=["riverside"]), form)

    assert Transfer.objects.count() == 2  # one leg in each community
    assert balance(linked.partner_currency, outsider) == 10


BAD_PAY_FORMS = {
    "nobody to pay": ({"payee": ""}, "Choose who to pay."),
    "somebody not offered": ({"payee": "999:999"}, "Select a valid choice."),
    "a zero amount": ({"amount": "0"}, "The amount must be more than zero."),
    "no description": ({"memo": ""}, "Say what the payment is for."),
    "past Hillside's trust": ({"amount": "3:00"}, "trusts Riverside Timebank for at most 20"),
}


@pytest.mark.parametrize("case", BAD_PAY_FORMS.keys())
def test_the_payment_form_rejects_bad_input_and_writes_nothing(client, member, outsider, linked, case):
    client.force_login(member.user)
    changes, message = BAD_PAY_FORMS[case]
    counts = (Transfer.objects.count(), Account.objects.count())

    response = client.post(reverse("ledger_link_pay", args=["riverside"]), pay_form(linked, outsider, **changes))

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert (Transfer.objects.count(), Account.objects.count()) == counts


def test_a_proposed_link_is_not_offered_for_payment(client, member, outsider, proposed):
    client.force_login(member.user)

    page = client.get(reverse("ledger_link_pay", args=["riverside"])).content.decode()

    assert "has not agreed to trade with another community yet" in page
    response = client.post(reverse("ledger_link_pay", args=["riverside"]), pay_form(proposed, outsider))
    assert response.status_code == 400 and Transfer.objects.count() == 0
