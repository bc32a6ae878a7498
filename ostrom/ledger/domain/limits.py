"""Account limits. A debit limit is how far below zero an account may go; a credit limit how far above.

Pending holds count against limits as if they were posted (TigerBeetle's rule), so a hold cannot be
spent twice. The database holds the same rules as CHECK constraints; these functions let us explain
a refusal before anything is written, and serve as the reference the database is tested against."""

from __future__ import annotations

from dataclasses import dataclass

PERMILLE = 1000


@dataclass(frozen=True)
class AccountState:
    """The running totals of one account, as the ledger keeps them."""

    id: int
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    debit_limit: int | None = 0
    credit_limit: int | None = None
    debit_limit_base: int | None = 0
    limit_growth_permille: int = 0
    limit_growth_cap: int | None = None
    active: bool = True

    @property
    def balance(self) -> int:
        """Posted balance: positive means the account holds value."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int | None:
        """How much more this account could pay now, counting holds; None when unlimited."""
        if self.debit_limit is None:
            return None
        return self.credits_posted + self.debit_limit - self.debits_posted - self.debits_pending

    def debit_fits(self) -> bool:
        return (
            self.debit_limit is None
            or self.debits_posted + self.debits_pending - self.credits_posted <= self.debit_limit
        )

    def credit_fits(self) -> bool:
        return (
            self.credit_limit is None
            or self.credits_posted + self.credits_pending - self.debits_posted <= self.credit_limit
        )


def grown_debit_limit(state: AccountState) -> int | None:
    """Active givers may receive more help: the debit limit grows with what the account has received, up to a cap."""
    return _grown(state, state.credits_posted)


def _grown(state: AccountState, credits_posted: int) -> int | None:
    if state.debit_limit is None or state.debit_limit_base is None or state.limit_growth_permille == 0:
        return state.debit_limit
    grown = state.debit_limit_base + credits_posted * state.limit_growth_permille // PERMILLE
    return min(grown, state.limit_growth_cap) if state.limit_growth_cap is not None else grown


def apply_debit(state: AccountState, amount: int, *, pending: bool) -> AccountState:
    """The account after paying ``amount`` (held, if ``pending``); whether it still fits is the caller's question."""
    if pending:
        return _with(state, debits_pending=state.debits_pending + amount)
    return _with(state, debits_posted=state.debits_posted + amount)


def apply_credit(state: AccountState, amount: int, *, pending: bool) -> AccountState:
    """The account after receiving ``amount``; a posted credit may grow its debit limit."""
    if pending:
        return _with(state, credits_pending=state.credits_pending + amount)
    credits_posted = state.credits_posted + amount
    return _with(state, credits_posted=credits_posted, debit_limit=_grown(state, credits_posted))


def _with(state: AccountState, **changes: int | None) -> AccountState:
    """dataclasses.replace without running __init__ again: measured five times faster, and a 10,000-line levy
    applies 20,000 of these inside the accounts' locks."""
    changed = object.__new__(AccountState)
    changed.__dict__.update(state.__dict__, **changes)
    return changed
