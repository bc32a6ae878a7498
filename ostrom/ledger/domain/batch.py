"""Apply a list of transfers to account states, all or nothing.

This one function serves the dry-run preview (every row that would fail, and why), the batch posting
(new totals and each transfer's balances after) and the property tests (a reference model of the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ostrom.communities.domain import DomainError

from . import amounts
from .limits import AccountState, apply_credit, apply_debit


@dataclass(frozen=True)
class Movement:
    """One transfer to apply: ``amount`` from ``debit`` to ``credit`` (account ids)."""

    debit: int
    credit: int
    amount: int
    pending: bool = False


@dataclass(frozen=True)
class Failure:
    index: int
    code: str
    message: str


@dataclass
class BatchResult:
    states: dict[int, AccountState]
    balances_after: list[tuple[int, int]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def check_movement(movement: Movement, states: dict[int, AccountState]) -> None:
    """Raise the first rule a single movement breaks, before any limit is looked at."""
    amounts.check_amount(movement.amount)
    if movement.debit == movement.credit:
        raise DomainError("same_account", "The payer and the payee must be different accounts.")
    for account_id in (movement.debit, movement.credit):
        state = states.get(account_id)
        if state is None:
            raise DomainError("account_unknown", "One of the accounts does not exist in this currency.")
        if not state.active:
            raise DomainError("account_not_active", "One of the accounts is frozen or closed.")


def apply_batch(
    states: dict[int, AccountState], movements: list[Movement], names: dict[int, str] | None = None
) -> BatchResult:
    """Apply movements in order. Every movement is checked, so a preview lists all failures, not just the first."""
    names = names or {}
    current = dict(states)
    result = BatchResult(states=current)
    for index, movement in enumerate(movements):
        try:
            check_movement(movement, current)
        except DomainError as error:
            result.failures.append(Failure(index, error.code, error.message))
            result.balances_after.append((0, 0))
            continue
        debited = apply_debit(current[movement.debit], movement.amount, pending=movement.pending)
        credited = apply_credit(current[movement.credit], movement.amount, pending=movement.pending)
        failure = _limit_failure(index, movement, debited, credited, names)
        if failure:
            result.failures.append(failure)
            result.balances_after.append((0, 0))
            continue
        current[movement.debit], current[movement.credit] = debited, credited
        result.balances_after.append((debited.balance, credited.balance))
    return result


def _limit_failure(
    index: int, movement: Movement, debited: AccountState, credited: AccountState, names: dict[int, str]
) -> Failure | None:
    if not debited.debit_fits():
        who = names.get(movement.debit, "The payer")
        return Failure(index, "debit_limit_exceeded", f"{who} would go below the lowest balance allowed.")
    if not credited.credit_fits():
        who = names.get(movement.credit, "The payee")
        return Failure(index, "credit_limit_exceeded", f"{who} would go above the highest balance allowed.")
    return None
