"""The ledger's part of the Millbrook demo: currencies, accounts and three months of exchanges.

Built through the real ledger actions (batches, holds, reversals), so the demo obeys the same limits.
Registered with the people demo from LedgerConfig.ready()."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ostrom.communities.demo import DemoPart
from ostrom.communities.domain import Status
from ostrom.communities.models import Community, Member

from .actions import accounts, links, requests, transfers
from .models import (
    Account,
    AccountKind,
    CommunityLink,
    Currency,
    CurrencyKind,
    PaymentRequest,
    Transfer,
    TransferBatch,
)

HOUR = 60
HISTORY_DAYS = 90
DEMO_NAMESPACE = uuid.UUID("5f0c6c5e-0f5d-4d1e-9a51-6d696c6c6272")  # keys derived from it are stable per seed


def _key(*parts: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(p) for p in parts))


def load(seed: int) -> None:
    """Currencies and history for the three demo communities."""
    rng = random.Random(seed + 4)
    riverside = Community.objects.get(slug="riverside-timebank")
    northgate = Community.objects.get(slug="northgate")
    eastfield = Community.objects.get(slug="eastfield-recycling")

    river_hours = _hours(riverside)
    _exchanges(river_hours, rng, count=140)
    _a_hold_and_a_correction(river_hours)

    north_hours = _hours(northgate)
    _exchanges(north_hours, rng, count=60)
    north_credits = accounts.create_currency(
        northgate, code="credits", name="Northgate Credits", kind=CurrencyKind.CREDIT, symbol="NC",
        default_debit_limit=0, issuance_limit=5_000,
    )  # fmt: skip
    _volunteer_credits(north_credits, rng)

    _a_request_and_a_link(river_hours, north_hours)

    recycling = accounts.create_currency(
        eastfield, code="recycling", name="Eastfield Recycling Credits", kind=CurrencyKind.CREDIT, symbol="RC",
        scale=100, default_debit_limit=0, issuance_limit=500_000,
    )  # fmt: skip
    _volunteer_credits(recycling, rng, unit=100)


def _hours(community: Community) -> Currency:
    return accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, symbol="h",
        default_debit_limit=10 * HOUR, limit_growth_permille=250, limit_growth_cap=20 * HOUR,
    )  # fmt: skip


def _member_accounts(currency: Currency) -> list[Account]:
    members = Member.objects.filter(community_id=currency.community_id, status=Status.ACTIVE).order_by("pk")
    return [accounts.open_account(currency, member=m) for m in members]


# What the story's own transfers after the history need below zero (see _a_hold_and_a_correction): the history
# leaves that much room, whatever the seed.
STORY_ROOM = {"colin@example.org": 3 * HOUR, "amara@example.org": 2 * HOUR}


def _exchanges(currency: Currency, rng: random.Random, count: int) -> None:
    """Members helping each other, never beyond their limits (the batch would refuse it anyway)."""
    people = _member_accounts(currency)
    skills = {a.pk: (a.member.skills or ["a hand around the house"]) for a in people}
    balance = {a.pk: 0 for a in people}
    floor = {a.pk: -a.debit_limit + STORY_ROOM.get(a.member.user.email or "", 0) for a in people}
    lines = []
    while len(lines) < count:
        payer, payee = rng.sample(people, 2)
        minutes = rng.choice([30, 60, 60, 90, 120, 180])
        if balance[payer.pk] - minutes < floor[payer.pk]:
            continue
        balance[payer.pk] -= minutes
        balance[payee.pk] += minutes
        skill = rng.choice(skills[payee.pk])
        lines.append(
            transfers.Line(
                payer.pk,
                payee.pk,
                minutes,
                memo=f"{skill.capitalize()} with {payee.member.display_name}",
                category=skill,
            )
        )
    outcome = transfers.post_batch(
        currency,
        lines,
        key=_key(currency.community.slug, currency.code, "history"),
        kind="import",
        actor=None,
        memo="Demo history",
    )
    _spread_over_history(outcome.transfer_ids)


def _spread_over_history(transfer_ids: list[int]) -> None:
    """Back-date the demo's history over three months. Demo data only: real transfers are never edited."""
    now = timezone.now()
    step = timedelta(days=HISTORY_DAYS) / max(len(transfer_ids), 1)
    for n, transfer_id in enumerate(transfer_ids):
        Transfer.objects.filter(pk=transfer_id).update(created_at=now - timedelta(days=HISTORY_DAYS) + step * n)


def _a_hold_and_a_correction(currency: Currency) -> None:
    amara = Account.objects.get(currency=currency, member__user__email="amara@example.org")
    colin = Account.objects.get(currency=currency, member__user__email="colin@example.org")
    transfers.hold(
        debit=amara, credit=colin, amount=2 * HOUR, key=_key("amara-hold"), memo="Lift to the hospital on Friday"
    )
    mistake = transfers.transfer(
        debit=colin, credit=amara, amount=3 * HOUR, key=_key("colin-typo"), memo="Dog walking (typed 3 h, meant 1 h)"
    )
    transfers.reverse(Transfer.objects.get(pk=mistake.id), actor=colin.member.user, reason="Typed 3 hours instead of 1")
    transfers.transfer(
        debit=colin, credit=amara, amount=HOUR, key=_key("colin-fixed"), memo="Dog walking", category="dog walking"
    )


def _a_request_and_a_link(river_hours: Currency, north_hours: Currency) -> None:
    """Colin asks Amara to pay for a repair; Riverside and Northgate agree to swap hours one for one."""
    amara = Member.objects.get(community=river_hours.community, user__email="amara@example.org")
    colin = Member.objects.get(community=river_hours.community, user__email="colin@example.org")
    requests.request_payment(colin, amara, river_hours, HOUR, "Fixing the garden gate", _key("colin-asks-amara"))
    dev = Member.objects.get(community=north_hours.community, user__email="dev@example.org")
    link = links.link_communities(
        colin, north_hours.community, river_hours, north_hours, 1, 1, trust_extended=20 * HOUR
    )
    links.accept_link(dev, link, trust_extended=20 * HOUR)


def _volunteer_credits(currency: Currency, rng: random.Random, unit: int = 1) -> None:
    """Credits issued to volunteers, some spent at partner organisations."""
    people = _member_accounts(currency)
    issuance = accounts.system_account(currency, AccountKind.ISSUANCE)
    volunteers = rng.sample(people, min(15, len(people)))
    grants = [
        transfers.Line(
            issuance.pk, a.pk, rng.choice([10, 20, 25, 40]) * unit, memo="Volunteering", category="volunteering"
        )
        for a in volunteers
    ]
    transfers.post_batch(
        currency,
        grants,
        key=_key(currency.community.slug, currency.code, "grants"),
        kind="issue",
        actor=None,
        memo="Credits for volunteering",
    )
    partners = [
        accounts.open_account(currency, organisation=o) for o in currency.community.organisations.order_by("pk")
    ]
    if not partners:
        return
    spends = [
        transfers.Line(
            line.credit,
            rng.choice(partners).pk,
            line.amount // 2,
            memo="Spent with a partner",
            category="partner offer",
        )
        for line in grants[::2]
    ]
    transfers.post_batch(
        currency,
        spends,
        key=_key(currency.community.slug, currency.code, "spends"),
        kind="import",
        actor=None,
        memo="Spent at partners",
    )


def delete(communities: QuerySet[Community]) -> None:
    """Remove the demo's ledger rows, most dependent first (transfers and accounts are PROTECTed)."""
    PaymentRequest.objects.filter(community__in=communities).delete()
    links_here = CommunityLink.objects.filter(community__in=communities) | CommunityLink.objects.filter(
        partner__in=communities
    )
    Transfer.objects.filter(community__in=communities).exclude(pending__isnull=True, reverses__isnull=True).delete()
    Transfer.objects.filter(community__in=communities).delete()
    TransferBatch.objects.filter(community__in=communities).delete()
    Account.objects.filter(community__in=communities).delete()
    links_here.delete()
    Currency.objects.filter(community__in=communities).delete()


PART = DemoPart(name="ledger", load=load, delete=delete)
