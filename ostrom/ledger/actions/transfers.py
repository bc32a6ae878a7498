"""Transfers: pay, hold, take or release a hold, reverse, and post many together."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, User

from ..domain import amounts
from ..domain.batch import BatchResult, Failure, Movement, apply_batch
from ..domain.limits import AccountState, apply_credit, apply_debit
from ..models import Account, Currency, Transfer, TransferBatch, TransferKind
from ..rules import rules_for
from . import posting
from .posting import Posted, Spec

MAX_BATCH = 50_000
MAX_HOLD_DAYS = 90


def transfer(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    key: uuid.UUID,
    memo: str = "",
    category: str = "",
    reference: str = "",
    actor: User | None = None,
    on_behalf_of: Member | None = None,
    reason: str = "",
) -> Posted:
    """Move ``amount`` from ``debit`` to ``credit`` at once. Retrying with the same key is always safe."""
    return posting.post_single(
        _spec(debit, credit, amount, key, memo, category, reference, actor, on_behalf_of, reason)
    )


def hold(
    *,
    debit: Account,
    credit: Account,
    amount: int,
    key: uuid.UUID,
    expires_at: datetime | None = None,
    memo: str = "",
    category: str = "",
    reference: str = "",
    actor: User | None = None,
) -> Posted:
    """Reserve ``amount`` for a later payment: it counts against limits until it is taken, released or expires."""
    now = timezone.now()
    expires_at = expires_at or now + timedelta(hours=rules_for(debit.community).hold_expiry_hours)
    if not now < expires_at <= now + timedelta(days=MAX_HOLD_DAYS):
        raise DomainError(
            "invalid_expiry", f"A hold must expire in the future and within {MAX_HOLD_DAYS} days.", "expires_at"
        )
    spec = replace(
        _spec(debit, credit, amount, key, memo, category, reference, actor, None, ""),
        kind=TransferKind.PENDING,
        expires_at=expires_at,
    )
    return posting.post_single(spec)


def _spec(debit, credit, amount, key, memo, category, reference, actor, on_behalf_of, reason) -> Spec:
    if debit.currency_id != credit.currency_id:
        raise DomainError("currency_mismatch", "Both accounts must use the same currency.", "account")
    if debit.community_id != credit.community_id:
        raise DomainError("account_unknown", "There is no such account in this community.", "account")
    if not isinstance(key, uuid.UUID):
        raise DomainError("invalid_key", "The idempotency key must be a UUID.", "key")
    return Spec(
        community_id=debit.community_id, currency_id=debit.currency_id, key=key, debit_account_id=debit.pk,
        credit_account_id=credit.pk, amount=amount, memo=memo.strip(), category=category.strip(),
        reference=reference.strip(), reason=reason.strip(), created_by_id=actor.pk if actor else None,
        on_behalf_of_id=on_behalf_of.pk if on_behalf_of else None,
    )  # fmt: skip


def _resolve_hold(held: Transfer, post_amount: int, *, key: uuid.UUID, actor: User | None, reason: str) -> Posted:
    """Post (all or part of) or void a hold, at most once: the database's unique link to the hold is the guard."""
    kind = TransferKind.POST if post_amount else TransferKind.VOID
    spec = Spec(
        community_id=held.community_id, currency_id=held.currency_id, key=key, kind=kind,
        debit_account_id=held.debit_account_id, credit_account_id=held.credit_account_id,
        amount=post_amount or held.amount, memo=held.memo, category=held.category, reference=held.reference,
        reason=reason, created_by_id=actor.pk if actor else None, pending_id=held.pk,
    )  # fmt: skip
    existing = Transfer.objects.filter(community_id=held.community_id, key=key).first()
    if existing is not None:
        return posting.replay(spec)
    if held.kind != TransferKind.PENDING:
        raise DomainError("not_a_hold", "Only a hold can be taken or released.")
    if post_amount and held.expires_at and held.expires_at <= timezone.now():
        raise DomainError("hold_expired", "This hold has expired and can no longer be taken.")
    if post_amount and not 0 < post_amount <= held.amount:
        raise DomainError("amount_exceeds_hold", "You can take at most the amount held.", "amount")
    try:
        with transaction.atomic():
            before = posting.lock_states(
                {held.debit_account_id, held.credit_account_id}, held.community_id, held.currency_id
            )
            if Transfer.objects.filter(pending=held).exists():
                raise DomainError("hold_already_resolved", "This hold has already been taken or released.")
            after = _release(before, held, post_amount)
            balances = (after[held.debit_account_id].balance, after[held.credit_account_id].balance)
            (transfer_id,) = posting.write([spec.row()], [balances], before, after)
    except IntegrityError:
        raise DomainError("hold_already_resolved", "This hold has already been taken or released.") from None
    return Posted(transfer_id, key, spec.amount, spec.debit_account_id, spec.credit_account_id, *balances)


def _release(states: dict[int, AccountState], held: Transfer, post_amount: int) -> dict[int, AccountState]:
    debit = replace(
        states[held.debit_account_id], debits_pending=states[held.debit_account_id].debits_pending - held.amount
    )
    credit = replace(
        states[held.credit_account_id], credits_pending=states[held.credit_account_id].credits_pending - held.amount
    )
    if post_amount:
        debit = apply_debit(debit, post_amount, pending=False)
        credit = apply_credit(credit, post_amount, pending=False)
    return {**states, debit.id: debit, credit.id: credit}


def post_hold(held: Transfer, *, key: uuid.UUID, amount: int | None = None, actor: User | None = None) -> Posted:
    """Take a hold: post the whole amount held, or a smaller one (the rest is released)."""
    return _resolve_hold(held, amount if amount is not None else held.amount, key=key, actor=actor, reason="")


def void_hold(held: Transfer, *, key: uuid.UUID, actor: User | None = None, reason: str = "") -> Posted:
    """Release a hold without paying anything."""
    return _resolve_hold(held, 0, key=key, actor=actor, reason=reason)


def expire_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Release holds whose time has passed. Safe to run twice: each hold is released at most once."""
    now = now or timezone.now()
    expired = Transfer.objects.filter(kind=TransferKind.PENDING, expires_at__lte=now, resolution__isnull=True)[:limit]
    released = 0
    for held in expired:
        try:
            void_hold(held, key=uuid.uuid5(held.key, "expired"), reason="The hold expired.")
            released += 1
        except DomainError:
            continue  # taken or released by someone else a moment ago
    return released


def reverse(original: Transfer, *, actor: User, reason: str, key: uuid.UUID | None = None) -> Posted:
    """Correct a mistake with a transfer the other way that points at the original. At most one per transfer."""
    if not reason.strip():
        raise DomainError("reason_required", "Say why this transfer is being reversed.", "reason")
    if original.kind not in (TransferKind.TRANSFER, TransferKind.POST):
        raise DomainError("not_reversible", "Only a completed payment can be reversed; release a hold instead.")
    if original.reverses_id is not None:
        raise DomainError("not_reversible", "A reversal can't itself be reversed; make a new transfer instead.")
    key = key or uuid.uuid4()  # a retry must pass the same key to get the first reversal back
    spec = Spec(
        community_id=original.community_id, currency_id=original.currency_id, key=key,
        debit_account_id=original.credit_account_id, credit_account_id=original.debit_account_id,
        amount=original.amount, memo=f"Reversal of transfer {original.pk}", category=original.category,
        reference=original.reference, reason=reason.strip(), created_by_id=actor.pk, reverses_id=original.pk,
    )  # fmt: skip
    try:
        with transaction.atomic():
            if Transfer.objects.filter(community_id=original.community_id, key=key).exists():
                return posting.replay(spec)  # a retry of this very reversal returns it
            if Transfer.objects.filter(reverses=original).exists():
                raise DomainError("already_reversed", "This transfer has already been reversed.")
            posted = posting.post_single(spec)
            if not posted.replayed:
                audit(
                    original.community,
                    actor,
                    "ledger.transfer_reversed",
                    None,
                    reason,
                    transfer=original.pk,
                    reversal=posted.id,
                )
    except IntegrityError:
        raise DomainError("already_reversed", "This transfer has already been reversed.") from None
    return posted


@dataclass(frozen=True)
class Line:
    """One row of a batch: from one account to another."""

    debit: int
    credit: int
    amount: int
    memo: str = ""
    category: str = ""
    reference: str = ""
    on_behalf_of: int | None = None  # the member a coordinator acted for


@dataclass
class BatchOutcome:
    batch: TransferBatch | None
    failures: list[Failure]
    transfer_ids: list[int]
    already_posted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures


def post_batch(
    currency: Currency,
    lines: list[Line],
    *,
    key: uuid.UUID,
    kind: str,
    actor: User | None,
    memo: str = "",
    dry_run: bool = False,
    reason: str = "",
) -> BatchOutcome:
    """Post every line or none. With ``dry_run`` nothing is written and every failing line is listed with why."""
    if not lines:
        raise DomainError("batch_empty", "There is nothing to post.")
    if len(lines) > MAX_BATCH:
        raise DomainError("batch_too_large", f"Post at most {MAX_BATCH:,} transfers at once.")
    text_failures = _text_failures(lines, memo)
    if not dry_run and not text_failures and connection.vendor == "postgresql" and _plainly_valid(lines):
        posted = _post_in_database(currency, lines, key=key, kind=kind, actor=actor, memo=memo, reason=reason)
        if posted is not None:
            return posted
    movements = [Movement(line.debit, line.credit, line.amount) for line in lines]
    try:
        with transaction.atomic():
            ids = {line.debit for line in lines} | {line.credit for line in lines}
            states = _lock_for_batch(ids, currency)
            # Checked after the locks, so two presses of "post" at once find the first one's batch.
            posted_before = _posted_before(currency, key, lines, kind)
            if posted_before is not None:
                return posted_before
            result = apply_batch(states, movements, names=_names(ids) if dry_run else None)
            if dry_run or not result.ok or text_failures:
                if not dry_run and not result.ok:
                    result = apply_batch(states, movements, names=_names(ids))
                transaction.set_rollback(True)
                return BatchOutcome(None, sorted(result.failures + text_failures, key=lambda f: f.index), [])
            return _write_batch(
                currency, lines, result, states, key=key, kind=kind, actor=actor, memo=memo, reason=reason
            )
    except IntegrityError:
        posted_before = _posted_before(currency, key, lines, kind)
        if posted_before is None:
            raise
        return posted_before


def _plainly_valid(lines: list[Line]) -> bool:
    """No line that apply_batch would refuse before looking at an account (the database path assumes this)."""
    try:
        for line in lines:
            amounts.check_amount(line.amount)
    except DomainError:
        return False
    return all(line.debit != line.credit for line in lines)


def _post_in_database(
    currency: Currency, lines: list[Line], *, key: uuid.UUID, kind: str, actor: User | None, memo: str, reason: str
) -> BatchOutcome | None:
    """The fast way on PostgreSQL: the database applies the lines (sql.POSTGRES_BATCH). None when an account is
    unusable or a line breaks a limit -- nothing is written, and post_batch's own way then says which and why."""
    try:
        with transaction.atomic():
            ids = {line.debit for line in lines} | {line.credit for line in lines}
            if not posting.lock_usable(ids, currency.community_id, currency.pk):
                transaction.set_rollback(True)
                return None
            # Checked after the locks, so two presses of "post" at once find the first one's batch.
            posted_before = _posted_before(currency, key, lines, kind)
            if posted_before is not None:
                return posted_before
            batch = _create_batch(currency, lines, key=key, kind=kind, actor=actor, memo=memo)
            columns = posting.BatchLines(
                debits=[line.debit for line in lines], credits=[line.credit for line in lines],
                amounts=[line.amount for line in lines], memos=[line.memo or memo for line in lines],
                categories=[line.category for line in lines], references=[line.reference for line in lines],
                on_behalf_of=[line.on_behalf_of for line in lines],
            )  # fmt: skip
            transfer_ids = posting.post_lines(
                columns, community_id=currency.community_id, currency_id=currency.pk, batch_key=key,
                batch_id=batch.pk, reason=reason, created_by_id=actor.pk if actor else None,
            )  # fmt: skip
            if transfer_ids is None:
                transaction.set_rollback(True)
                return None
            _audit_batch(currency, batch, actor, kind=kind, memo=memo, reason=reason)
            return BatchOutcome(batch, [], transfer_ids)
    except IntegrityError:
        posted_before = _posted_before(currency, key, lines, kind)
        if posted_before is None:
            raise
        return posted_before


def _posted_before(currency: Currency, key: uuid.UUID, lines: list[Line], kind: str) -> BatchOutcome | None:
    """The outcome of the batch already posted with ``key`` (a retry, or a second press of "post"), if any."""
    existing = TransferBatch.objects.filter(community_id=currency.community_id, key=key).first()
    return None if existing is None else _already_posted(existing, lines, kind)


def _already_posted(existing: TransferBatch, lines: list[Line], kind: str) -> BatchOutcome:
    if existing.transfer_count != len(lines) or existing.kind != kind:
        raise DomainError("exists_with_different_lines", "A batch with this key was already posted with other lines.")
    return BatchOutcome(
        existing, [], list(existing.transfers.order_by("pk").values_list("pk", flat=True)), already_posted=True
    )


def _text_failures(lines: list[Line], memo: str) -> list[Failure]:
    """Lines whose texts are too long for their columns: refused as rows, never as a database error."""
    failures = []
    for index, line in enumerate(lines):
        try:
            posting.check_texts(line.memo or memo, line.category, line.reference)
        except DomainError as error:
            failures.append(Failure(index, error.code, error.message))
    return failures


def _write_batch(
    currency: Currency,
    lines: list[Line],
    result: BatchResult,
    states: dict[int, AccountState],
    *,
    key: uuid.UUID,
    kind: str,
    actor: User | None,
    memo: str,
    reason: str,
) -> BatchOutcome:
    batch = _create_batch(currency, lines, key=key, kind=kind, actor=actor, memo=memo)
    rows = _rows(currency, lines, batch, key=key, actor=actor, memo=memo, reason=reason)
    transfer_ids = posting.write(rows, result.balances_after, states, result.states)
    _audit_batch(currency, batch, actor, kind=kind, memo=memo, reason=reason)
    return BatchOutcome(batch, [], transfer_ids)


def _create_batch(
    currency: Currency, lines: list[Line], *, key: uuid.UUID, kind: str, actor: User | None, memo: str
) -> TransferBatch:
    return TransferBatch.objects.create(
        community_id=currency.community_id, key=key, kind=kind, memo=memo, transfer_count=len(lines), created_by=actor
    )


def _rows(
    currency: Currency,
    lines: list[Line],
    batch: TransferBatch,
    *,
    key: uuid.UUID,
    actor: User | None,
    memo: str,
    reason: str,
) -> list[posting.Row]:
    """Plain rows (see Spec.row), not Specs: built for every line while the accounts are locked."""
    community_id, currency_id, batch_id = currency.community_id, currency.pk, batch.pk
    created_by_id = actor.pk if actor else None
    return [
        (
            community_id, currency_id, line_key(key, n), TransferKind.TRANSFER.value, line.debit, line.credit,
            line.amount, None, line.memo or memo, line.category, line.reference, reason, created_by_id,
            line.on_behalf_of, batch_id, None, None,
        )
        for n, line in enumerate(lines)
    ]  # fmt: skip


def line_key(batch_key: uuid.UUID, n: int) -> uuid.UUID:
    """Line n's idempotency key (n from 0): md5 of "<batch key>:<n>" read as a UUID, so a batch's transfers can be
    found from its key alone. The database path derives the same keys itself (sql.POSTGRES_BATCH)."""
    return uuid.UUID(hashlib.md5(f"{batch_key}:{n}".encode(), usedforsecurity=False).hexdigest())


def _audit_batch(
    currency: Currency, batch: TransferBatch, actor: User | None, *, kind: str, memo: str, reason: str
) -> None:
    if actor is not None:
        audit(
            currency.community,
            actor,
            f"ledger.batch_{kind}",
            None,
            reason or memo,
            batch=batch.pk,
            transfers=batch.transfer_count,
        )


def _lock_for_batch(ids: set[int], currency: Currency) -> dict[int, AccountState]:
    """Lock what exists; unknown, frozen or foreign accounts become inactive states so the preview lists them."""
    try:
        return posting.lock_states(ids, currency.community_id, currency.pk)
    except DomainError:
        usable = set(
            Account.objects.filter(
                pk__in=ids, community_id=currency.community_id, currency=currency, status="active"
            ).values_list("pk", flat=True)
        )
        states = posting.lock_states(usable, currency.community_id, currency.pk) if usable else {}
        for account_id in ids - usable:
            states[account_id] = AccountState(account_id, active=False)
        return states


def _names(ids: set[int]) -> dict[int, str]:
    accounts = Account.objects.filter(pk__in=ids).select_related("member", "organisation")
    return {a.pk: a.holder_name for a in accounts}


def format_for(currency: Currency, units: int) -> str:
    return amounts.format_amount(units, currency.kind, currency.scale, currency.symbol)
