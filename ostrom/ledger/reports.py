"""The community ledger summary for coordinators: what moved, who traded, who is near a limit, and whether
the books balance. Read-only, and every figure comes from a grouped query, not a loop over transfers.

The community's own accounts (issuance, fees, clearing) are included everywhere except "active traders",
which counts the people and organisations who trade (member and organisation accounts)."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from ostrom.communities.models import Community

from .exports import export_amount
from .models import Account, AccountKind, Currency, Transfer
from .statements import POSTED_KINDS

NEAR_LIMIT_PERMILLE = 900  # within 10 % of a limit
MAX_NEAR_LIMIT_SHOWN = 200
TRADER_KINDS = (AccountKind.MEMBER, AccountKind.ORGANISATION)
MONTHS_BY_DEFAULT = 12


@dataclass(frozen=True)
class Volume:
    label: str
    transfer_count: int
    amount: int


@dataclass(frozen=True)
class NearLimit:
    """An account that has used 90 % or more of a limit. ``room`` is how much more it can go, counting holds."""

    account_id: int
    holder: str
    kind: str
    balance: int
    side: str  # "debit": below zero; "credit": above zero
    limit: int
    room: int


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    account_count: int
    balance: int
    held_to_pay: int
    held_to_receive: int


@dataclass
class CurrencySummary:
    currency: Currency
    months: list[Volume] = field(default_factory=list)
    categories: list[Volume] = field(default_factory=list)
    active_traders: int = 0
    near_limits: list[NearLimit] = field(default_factory=list)
    near_limit_count: int = 0
    kinds: list[KindTotal] = field(default_factory=list)

    @property
    def balance_sum(self) -> int:
        """The sum of every balance: zero in a healthy ledger, since every transfer takes what it gives."""
        return sum(k.balance for k in self.kinds)

    @property
    def held_difference(self) -> int:
        """Holds to pay minus holds to receive: zero in a healthy ledger."""
        return sum(k.held_to_pay - k.held_to_receive for k in self.kinds)

    @property
    def balanced(self) -> bool:
        return self.balance_sum == 0 and self.held_difference == 0

    @property
    def volume(self) -> Volume:
        return Volume("total", sum(m.transfer_count for m in self.months), sum(m.amount for m in self.months))


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months, counting this one: from the first of the month eleven months ago to today."""
    month_index = today.year * 12 + today.month - 1 - (MONTHS_BY_DEFAULT - 1)
    return date(month_index // 12, month_index % 12 + 1, 1), today


def ledger_summary(community: Community, date_from: date, date_to: date) -> list[CurrencySummary]:
    """Per currency: volume per month and category, active traders, accounts near a limit, totals per kind."""
    zone = zoneinfo.ZoneInfo(community.time_zone)
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    summaries = {c.pk: CurrencySummary(c) for c in Currency.objects.filter(community=community).order_by("name")}
    moved = Transfer.objects.filter(
        community=community, kind__in=POSTED_KINDS, created_at__gte=start, created_at__lt=end
    )
    by_month = (
        moved.annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("currency_id", "month")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("currency_id", "month")
    )
    for row in by_month:
        summaries[row["currency_id"]].months.append(Volume(f"{row['month']:%Y-%m}", row["n"], row["total"]))
    by_category = (
        moved.values("currency_id", "category")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("currency_id", "-total", "category")
    )
    for row in by_category:
        summaries[row["currency_id"]].categories.append(Volume(row["category"], row["n"], row["total"]))
    traders = (
        Account.objects.filter(community=community, kind__in=TRADER_KINDS)
        .filter(Q(pk__in=moved.values("debit_account_id")) | Q(pk__in=moved.values("credit_account_id")))
        .values("currency_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in traders:
        summaries[row["currency_id"]].active_traders = row["n"]
    _add_near_limits(community, summaries)
    _add_kind_totals(community, summaries)
    return list(summaries.values())


def _add_near_limits(community: Community, summaries: dict[int, CurrencySummary]) -> None:
    debit_used = F("debits_posted") + F("debits_pending") - F("credits_posted")
    credit_used = F("credits_posted") + F("credits_pending") - F("debits_posted")
    near = (
        Account.objects.filter(community=community)
        .alias(debit_used=debit_used * 1000, credit_used=credit_used * 1000)
        .filter(
            Q(debit_limit__gt=0, debit_used__gte=F("debit_limit") * NEAR_LIMIT_PERMILLE)
            | Q(credit_limit__gt=0, credit_used__gte=F("credit_limit") * NEAR_LIMIT_PERMILLE)
        )
    )
    for row in near.values("currency_id").annotate(n=Count("id")).order_by():
        summaries[row["currency_id"]].near_limit_count = row["n"]
    for currency_id, summary in summaries.items():
        if summary.near_limit_count:
            shown = near.filter(currency_id=currency_id).select_related("member", "organisation").order_by("id")
            summary.near_limits = [_near_limit(account) for account in shown[:MAX_NEAR_LIMIT_SHOWN]]


def _near_limit(account: Account) -> NearLimit:
    debit_used = account.debits_posted + account.debits_pending - account.credits_posted
    if account.debit_limit and debit_used * 1000 >= account.debit_limit * NEAR_LIMIT_PERMILLE:
        side, limit, room = "debit", account.debit_limit, account.debit_limit - debit_used
    else:
        credit_used = account.credits_posted + account.credits_pending - account.debits_posted
        side, limit, room = "credit", account.credit_limit or 0, (account.credit_limit or 0) - credit_used
    return NearLimit(account.pk, account.holder_name, account.kind, account.balance, side, limit, room)


def _add_kind_totals(community: Community, summaries: dict[int, CurrencySummary]) -> None:
    totals = (
        Account.objects.filter(community=community)
        .values("currency_id", "kind")
        .annotate(
            n=Count("id"),
            balance=Sum(F("credits_posted") - F("debits_posted")),
            held_to_pay=Sum("debits_pending"),
            held_to_receive=Sum("credits_pending"),
        )
        .order_by("currency_id", "kind")
    )
    labels = dict(AccountKind.choices)
    found: dict[int, dict[str, KindTotal]] = defaultdict(dict)
    for row in totals:
        found[row["currency_id"]][row["kind"]] = KindTotal(
            row["kind"], str(labels[row["kind"]]), row["n"], row["balance"], row["held_to_pay"], row["held_to_receive"]
        )
    for currency_id, summary in summaries.items():
        # Every kind is listed, even with no accounts, so the table always has the same rows.
        summary.kinds = [
            found[currency_id].get(kind, KindTotal(kind, str(label), 0, 0, 0, 0)) for kind, label in labels.items()
        ]


def summary_rows(summaries: list[CurrencySummary]) -> Iterator[list]:
    """The summary as rows of summary.csv (see exports.SUMMARY_COLUMNS and docs/ledger-export-formats.md)."""
    for s in summaries:
        code, amount = s.currency.code, (lambda units, c=s.currency: export_amount(units, c))
        for m in s.months:
            yield [code, "month", m.label, m.transfer_count, "", amount(m.amount), ""]
        for c in s.categories:
            yield [code, "category", c.label, c.transfer_count, "", amount(c.amount), ""]
        yield [code, "active_traders", "", "", s.active_traders, "", ""]
        for k in s.kinds:
            yield [code, "account_kind", k.kind, "", k.account_count, amount(k.balance), ""]
        for n in s.near_limits:
            note = f"{n.side} limit {amount(n.limit)}"
            yield [code, "near_limit", f"{n.holder} (account {n.account_id})", "", "", amount(n.balance), note]
        yield [code, "zero_sum", "balances", "", "", amount(s.balance_sum), _verdict(s.balance_sum)]
        yield [code, "zero_sum", "holds", "", "", amount(s.held_difference), _verdict(s.held_difference)]


def _verdict(difference: int) -> str:
    return "balanced" if difference == 0 else "out of balance"
