"""Turning what the database refused into errors a person understands."""

from __future__ import annotations

from ostrom.communities.domain import DomainError

from .domain.amounts import format_amount
from .models import Account

LIMIT_CONSTRAINTS = {"account_debit_within_limit", "account_credit_within_limit"}


def constraint_name(error: Exception) -> str:
    """The constraint an IntegrityError broke, on PostgreSQL (diag) or SQLite (message)."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and diag.constraint_name:
        return diag.constraint_name
    text = str(cause or error)
    for name in (
        *LIMIT_CONSTRAINTS,
        "transfer_key_unique_in_community",
        "ledger_transfer.community_id, ledger_transfer.key",
    ):
        if name in text:
            return "transfer_key_unique_in_community" if "ledger_transfer.key" in name else name
    return ""


def limit_error(account: Account, side: str) -> DomainError:
    """A refusal that names the person and their limit: "Mina can go at most 10 h below zero."."""
    currency = account.currency
    if side == "debit":
        limit = format_amount(account.debit_limit or 0, currency.kind, currency.scale, currency.symbol)
        return DomainError(
            "debit_limit_exceeded",
            f"{account.holder_name} can go at most {limit} below zero, counting held amounts. "
            f"Their balance now is {format_amount(account.balance, currency.kind, currency.scale, currency.symbol)}.",
            "amount",
        )
    limit = format_amount(account.credit_limit or 0, currency.kind, currency.scale, currency.symbol)
    return DomainError(
        "credit_limit_exceeded", f"{account.holder_name} can hold at most {limit}; this would take them over.", "amount"
    )


def unavailable_error(
    community_id: int, currency_id: int, accounts: dict[int, Account], wanted: list[int]
) -> DomainError:
    """Explain why an account could not take part: unknown, another community's, another currency, frozen or closed."""
    for account_id in wanted:
        account = accounts.get(account_id)
        if account is None or account.community_id != community_id:
            return DomainError("account_unknown", "There is no such account in this community.", "account")
        if account.currency_id != currency_id:
            return DomainError("currency_mismatch", "Both accounts must use the same currency.", "account")
        if account.status == "frozen":
            return DomainError("account_frozen", f"The account of {account.holder_name} is frozen.", "account")
        if account.status == "closed":
            return DomainError("account_closed", f"The account of {account.holder_name} is closed.", "account")
    return DomainError("account_unavailable", "One of the accounts cannot be used right now.", "account")
