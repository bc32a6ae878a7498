"""verify_ledger: rebuild every balance from the transfers and check the ledger's invariants.

Each check is one set-based SQL query (GROUP BY, window functions, joins), so the database does the work
and a ledger of a million transfers is verified in seconds, not in a Python loop over rows. A check
returns only the rows that break a rule; at most MAX_FINDINGS_PER_CHECK of them are named.

What each transfer kind does to its two accounts (the rules posting.py follows, replayed here):

    transfer  debits_posted / credits_posted  += amount
    pending   debits_pending / credits_pending += amount
    post      pending totals -= the hold's amount, posted totals += amount (all or part of the hold)
    void      pending totals -= the hold's amount
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from ostrom.communities.models import Community

from .models import Account, Currency, Transfer

MAX_FINDINGS_PER_CHECK = 100


@dataclass(frozen=True)
class Finding:
    """One broken rule: which check found it, a sentence saying what is wrong, and where."""

    check: str
    message: str
    account_id: int | None = None
    transfer_id: int | None = None
    currency_id: int | None = None


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    run: Callable[[_Scope], list[Finding]]


@dataclass(frozen=True)
class Counts:
    currencies: int
    accounts: int
    transfers: int


@dataclass(frozen=True)
class _Scope:
    """Which rows to check: the whole installation, or one community's ledger."""

    community_id: int | None

    def where(self, alias: str, keyword: str = "WHERE") -> tuple[str, list]:
        if self.community_id is None:
            return "", []
        return f" {keyword} {alias}.community_id = %s", [self.community_id]


def _rows(query: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"{query} LIMIT {MAX_FINDINGS_PER_CHECK}", params)
        return cursor.fetchall()


# The rebuild: each side of each transfer grouped by account, compared with the stored totals.
_SIDE_TOTALS = """
    SELECT t.{side}_account_id AS account_id,
           SUM(CASE WHEN t.kind IN ('transfer', 'post') THEN t.amount ELSE 0 END) AS posted,
           SUM(CASE WHEN t.kind = 'pending' THEN t.amount
                    WHEN t.kind IN ('post', 'void') THEN -h.amount ELSE 0 END) AS pending
    FROM ledger_transfer t LEFT JOIN ledger_transfer h ON h.id = t.pending_id{where}
    GROUP BY t.{side}_account_id"""


def _check_totals(scope: _Scope) -> list[Finding]:
    where, params = scope.where("t")
    account_where, account_params = scope.where("a", "AND")
    query = f"""
        SELECT a.id, a.currency_id, a.debits_posted, COALESCE(d.posted, 0), a.debits_pending, COALESCE(d.pending, 0),
               a.credits_posted, COALESCE(c.posted, 0), a.credits_pending, COALESCE(c.pending, 0)
        FROM ledger_account a
        LEFT JOIN ({_SIDE_TOTALS.format(side="debit", where=where)}) d ON d.account_id = a.id
        LEFT JOIN ({_SIDE_TOTALS.format(side="credit", where=where)}) c ON c.account_id = a.id
        WHERE (a.debits_posted <> COALESCE(d.posted, 0) OR a.debits_pending <> COALESCE(d.pending, 0)
           OR a.credits_posted <> COALESCE(c.posted, 0) OR a.credits_pending <> COALESCE(c.pending, 0))
           {account_where}
        ORDER BY a.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = []
    for account_id, currency_id, *pairs in _rows(query, params + params + account_params):
        names = ("debits_posted", "debits_pending", "credits_posted", "credits_pending")
        wrong = [
            f"{name} is {stored} but the transfers add up to {rebuilt}"
            for name, stored, rebuilt in zip(names, pairs[0::2], pairs[1::2], strict=True)
            if stored != rebuilt
        ]
        findings.append(Finding("totals", "; ".join(wrong), account_id=account_id, currency_id=currency_id))
    return findings


def _check_zero_sum(scope: _Scope) -> list[Finding]:
    where, params = scope.where("a")
    query = f"""
        SELECT a.currency_id, SUM(a.credits_posted - a.debits_posted), SUM(a.credits_pending) - SUM(a.debits_pending)
        FROM ledger_account a{where}
        GROUP BY a.currency_id
        HAVING SUM(a.credits_posted - a.debits_posted) <> 0 OR SUM(a.credits_pending) <> SUM(a.debits_pending)
        ORDER BY a.currency_id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = []
    for currency_id, posted, pending in _rows(query, params):
        parts = []
        if posted:
            parts.append(f"the balances add up to {posted} instead of 0")
        if pending:
            parts.append(f"held amounts to receive and to pay differ by {pending}")
        findings.append(Finding("zero_sum", "; ".join(parts), currency_id=currency_id))
    return findings


def _check_limits(scope: _Scope) -> list[Finding]:
    where, params = scope.where("a", "AND")
    query = f"""
        SELECT a.id, a.currency_id, a.debits_posted + a.debits_pending - a.credits_posted, a.debit_limit,
               a.credits_posted + a.credits_pending - a.debits_posted, a.credit_limit
        FROM ledger_account a
        WHERE ((a.debit_limit IS NOT NULL AND a.debits_posted + a.debits_pending - a.credits_posted > a.debit_limit)
           OR (a.credit_limit IS NOT NULL AND a.credits_posted + a.credits_pending - a.debits_posted > a.credit_limit)
           OR a.debits_posted < 0 OR a.debits_pending < 0 OR a.credits_posted < 0 OR a.credits_pending < 0){where}
        ORDER BY a.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = []
    for account_id, currency_id, below, debit_limit, above, credit_limit in _rows(query, params):
        if debit_limit is not None and below > debit_limit:
            message = f"{below} below zero counting holds, past its debit limit of {debit_limit}"
        elif credit_limit is not None and above > credit_limit:
            message = f"{above} above zero counting holds, past its credit limit of {credit_limit}"
        else:
            message = "a running total is negative"
        findings.append(Finding("limits", message, account_id=account_id, currency_id=currency_id))
    return findings


def _check_holds(scope: _Scope) -> list[Finding]:
    where, params = scope.where("r", "AND")
    twice = f"""
        SELECT r.pending_id, COUNT(*) FROM ledger_transfer r
        WHERE r.pending_id IS NOT NULL{where}
        GROUP BY r.pending_id HAVING COUNT(*) > 1 ORDER BY r.pending_id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = [
        Finding("holds", f"the hold was taken or released {count} times", transfer_id=hold_id)
        for hold_id, count in _rows(twice, params)
    ]
    mismatched = f"""
        SELECT r.id, h.id, h.kind FROM ledger_transfer r JOIN ledger_transfer h ON h.id = r.pending_id
        WHERE (r.kind NOT IN ('post', 'void') OR h.kind <> 'pending'
           OR r.debit_account_id <> h.debit_account_id OR r.credit_account_id <> h.credit_account_id
           OR r.currency_id <> h.currency_id OR (r.kind = 'post' AND r.amount > h.amount)){where}
        ORDER BY r.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    for resolution_id, hold_id, hold_kind in _rows(mismatched, params):
        what = "is not a hold" if hold_kind != "pending" else "has other accounts, currency or a smaller amount"
        findings.append(Finding("holds", f"it resolves transfer {hold_id}, which {what}", transfer_id=resolution_id))
    return findings


def _check_reversals(scope: _Scope) -> list[Finding]:
    where, params = scope.where("r", "AND")
    twice = f"""
        SELECT r.reverses_id, COUNT(*) FROM ledger_transfer r
        WHERE r.reverses_id IS NOT NULL{where}
        GROUP BY r.reverses_id HAVING COUNT(*) > 1 ORDER BY r.reverses_id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = [
        Finding("reversals", f"it was reversed {count} times", transfer_id=original_id)
        for original_id, count in _rows(twice, params)
    ]
    mismatched = f"""
        SELECT r.id, o.id FROM ledger_transfer r JOIN ledger_transfer o ON o.id = r.reverses_id
        WHERE (r.debit_account_id <> o.credit_account_id OR r.credit_account_id <> o.debit_account_id
           OR r.amount <> o.amount OR r.currency_id <> o.currency_id
           OR r.kind <> 'transfer' OR o.kind NOT IN ('transfer', 'post')){where}
        ORDER BY r.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    for reversal_id, original_id in _rows(mismatched, params):
        findings.append(
            Finding(
                "reversals",
                f"it reverses transfer {original_id} but does not mirror its accounts and amount",
                transfer_id=reversal_id,
            )
        )
    return findings


def _check_running_balances(scope: _Scope) -> list[Finding]:
    """Each transfer's stored balance after must equal the sum of the account's posted movements up to it,
    taken in transfer order (ids grow in the order the account's row lock was taken, see posting.py)."""
    where, params = scope.where("t")
    side = """
        SELECT t.{side}_account_id AS account_id, t.id AS transfer_id, t.{side}_balance_after AS balance_after,
               CASE WHEN t.kind IN ('transfer', 'post') THEN {sign}t.amount ELSE 0 END AS delta
        FROM ledger_transfer t{where}"""
    query = f"""
        WITH lines AS ({side.format(side="debit", sign="-", where=where)}
                       UNION ALL {side.format(side="credit", sign="", where=where)}),
             running AS (
                SELECT account_id, transfer_id, balance_after,
                       SUM(delta) OVER (PARTITION BY account_id ORDER BY transfer_id
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS expected
                FROM lines)
        SELECT account_id, transfer_id, balance_after, expected FROM running
        WHERE balance_after <> expected
        ORDER BY account_id, transfer_id"""  # noqa: S608 -- constant fragments; values are bound parameters
    return [
        Finding(
            "running_balances",
            f"transfer {transfer_id} says the balance after it was {after}, "
            f"but the movements up to it add up to {expected}",
            account_id=account_id,
            transfer_id=transfer_id,
        )
        for account_id, transfer_id, after, expected in _rows(query, params + params)
    ]


def _check_transfer_accounts(scope: _Scope) -> list[Finding]:
    where, params = scope.where("t", "AND")
    query = f"""
        SELECT t.id FROM ledger_transfer t
        JOIN ledger_account d ON d.id = t.debit_account_id JOIN ledger_account c ON c.id = t.credit_account_id
        WHERE (d.currency_id <> t.currency_id OR c.currency_id <> t.currency_id
           OR d.community_id <> t.community_id OR c.community_id <> t.community_id){where}
        ORDER BY t.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    return [
        Finding("transfer_accounts", "its accounts are not both in its currency and community", transfer_id=row[0])
        for row in _rows(query, params)
    ]


# The transfer table has no foreign-key constraints (see Transfer in models.py): this is where a reference to a
# row that does not exist would show. Account and hold references are what balances depend on.
_REFERENCES = (
    ("debit account", "debit_account_id", "ledger_account"),
    ("credit account", "credit_account_id", "ledger_account"),
    ("community", "community_id", "communities_community"),
    ("currency", "currency_id", "ledger_currency"),
    ("hold", "pending_id", "ledger_transfer"),
    ("reversed transfer", "reverses_id", "ledger_transfer"),
    ("batch", "batch_id", "ledger_transferbatch"),
    ("author", "created_by_id", "communities_user"),
    ("member acted for", "on_behalf_of_id", "communities_member"),
)


def _check_references(scope: _Scope) -> list[Finding]:
    where, params = scope.where("t", "AND")
    gone = [
        f"(t.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.id = t.{column}))"  # noqa: S608
        for _, column, table in _REFERENCES
    ]
    query = f"""
        SELECT t.id, {", ".join(gone)} FROM ledger_transfer t
        WHERE ({" OR ".join(gone)}){where}
        ORDER BY t.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    findings = []
    for transfer_id, *missing in _rows(query, params):
        labels = [label for (label, _, _), absent in zip(_REFERENCES, missing, strict=True) if absent]
        message = f"it names a {' and a '.join(labels)} that does not exist"
        findings.append(Finding("references", message, transfer_id=transfer_id))
    return findings


def _check_closed(scope: _Scope) -> list[Finding]:
    where, params = scope.where("a", "AND")
    query = f"""
        SELECT a.id, a.currency_id, a.credits_posted - a.debits_posted, a.debits_pending + a.credits_pending
        FROM ledger_account a
        WHERE a.status = 'closed'
          AND (a.debits_posted <> a.credits_posted OR a.debits_pending <> 0 OR a.credits_pending <> 0){where}
        ORDER BY a.id"""  # noqa: S608 -- constant fragments; values are bound parameters
    return [
        Finding(
            "closed_accounts",
            f"it is closed but its balance is {balance} with {held} held",
            account_id=account_id,
            currency_id=currency_id,
        )
        for account_id, currency_id, balance, held in _rows(query, params)
    ]


CHECKS = [
    Check("totals", "every account's four totals rebuilt from its transfers", _check_totals),
    Check("zero_sum", "balances add up to zero in each currency, and so do holds", _check_zero_sum),
    Check("limits", "no account is past its debit or credit limit, counting holds", _check_limits),
    Check("holds", "each hold is taken or released at most once, by a transfer that matches it", _check_holds),
    Check("reversals", "each reversal mirrors its original, and no transfer is reversed twice", _check_reversals),
    Check(
        "running_balances",
        "each transfer's balances after follow from the transfers before it",
        _check_running_balances,
    ),
    Check("references", "every account, hold, batch and person a transfer names exists", _check_references),
    Check("transfer_accounts", "every transfer's accounts share its currency and community", _check_transfer_accounts),
    Check("closed_accounts", "closed accounts are at zero with no holds", _check_closed),
]


def counts(community: Community | None = None) -> Counts:
    """How much there is to check."""
    scope = {"community": community} if community else {}
    return Counts(
        Currency.objects.filter(**scope).count(),
        Account.objects.filter(**scope).count(),
        Transfer.objects.filter(**scope).count(),
    )


def verify_ledger(community: Community | None = None) -> list[Finding]:
    """Every broken rule in the ledger (all communities, or one); an empty list means it is sound."""
    scope = _Scope(community.pk if community else None)
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check.run(scope))
    return findings


def describe(finding: Finding) -> str:
    """A finding as one line that names the account (with its holder and currency) or the transfer."""
    if finding.account_id is not None:
        account = (
            Account.objects.select_related("member", "organisation", "currency").filter(pk=finding.account_id).first()
        )
        where = f"account {finding.account_id}"
        if account is not None:
            where += f" ({account.holder_name}, {account.currency.code})"
        if finding.transfer_id is not None:
            where += f", transfer {finding.transfer_id}"
    elif finding.transfer_id is not None:
        where = f"transfer {finding.transfer_id}"
    else:
        currency = Currency.objects.filter(pk=finding.currency_id).first()
        where = f"currency {currency.code if currency else finding.currency_id}"
    return f"[{finding.check}] {where}: {finding.message}"
