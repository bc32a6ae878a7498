"""Account limits. A debit limit is how far below zero an account may go; a credit limit how far above.

Pending holds count against limits as if they were posted (TigerBeetle's rule), so a hold cannot be
spent twice. The database holds the same rules as CHECK constraints; these functions let us explain
a refusal before anything is written, and serve as the reference the database is tested against."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    if state.debit_limit is None or state.debit_limit_base is None or state.limit_growth_permille == 0:
        return state.debit_limit
    grown = state.debit_limit_base + state.credits_posted * state.limit_growth_permille // PERMILLE
    return min(grown, state.limit_growth_cap) if state.limit_growth_cap is not None else grown


def apply_debit(state: AccountState, amount: int, *, pending: bool) -> AccountState:
    if pending:
        return replace(state, debits_pending=state.debits_pending + amount)
    return replace(state, debits_posted=state.debits_posted + amount)


def apply_credit(state: AccountState, amount: int, *, pending: bool) -> AccountState:
    if pending:
        return replace(state, credits_pending=state.credits_pending + amount)
    credited = replace(state, credits_posted=state.credits_posted + amount)
    return replace(credited, debit_limit=grown_debit_limit(credited))
