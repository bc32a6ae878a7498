"""Coordinators' bulk operations: a monthly levy, issuing credits to volunteers, and transfers made for members.

Each has a preview (every row with its outcome: fine, or what is wrong and why) and a post (every row or none),
both through ``transfers.post_batch``. The preview's batch key is the one the post uses, so a confirm pressed
twice posts once. Imports (actions/imports.py) run on the same machinery.

Who the people in a list are is worked out by ``Directory``, in a handful of queries however long the list."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError, Status, looks_like_phone, normalise_email, normalise_phone
from ostrom.communities.models import Member, Organisation

from .. import access
from ..domain import amounts
from ..domain.csv_formats import ISSUANCE, Party, Row, RowError
from ..models import Account, AccountKind, AccountStatus, Currency, TransferBatch
from . import accounts as account_actions
from . import transfers
from .transfers import Line

FEES = "fees"
SYSTEM_KEYS = {ISSUANCE: AccountKind.ISSUANCE, FEES: AccountKind.FEES}
HOLDER_KINDS = {AccountKind.MEMBER, AccountKind.ORGANISATION}
# How many values go into one IN (...) list: well inside SQLite's and PostgreSQL's parameter limits.
QUERY_CHUNK = 500

Target = Account | Member | Organisation


# Who the people in a list are


class Directory:
    """Finds the account each ``Party`` of a list means, in one community and currency.

    A party is tried by each of its keys in turn; a key is first looked up in the coordinator's list of names
    (``names``: lower-cased name in the file -> who it is here), then read as: "issuance" or "fees" (the
    currency's own accounts), "#42" (an account number), an email address, a phone number, an organisation's
    name, or a member's name (only if exactly one member has it). Call ``load`` with every party first: it
    fetches everyone in a few queries."""

    def __init__(self, currency: Currency, names: dict[str, str] | None = None, *, active_only: bool = False):
        self.currency = currency
        self.names = names or {}
        self.active_only = active_only
        self._system: dict[str, Account] = {}
        self._accounts: dict[int, Account] = {}
        self._by_email: dict[str, Member] = {}
        self._by_phone: dict[str, Member] = {}
        self._by_name: dict[str, list[Member]] = defaultdict(list)
        self._organisations: dict[str, Organisation] = {}
        self._member_accounts: dict[int, Account] = {}
        self._organisation_accounts: dict[int, Account] = {}
        self._found: dict[Party, Target | DomainError] = {}

    def _keys(self, parties: Iterable[Party]) -> set[str]:
        keys: set[str] = set()
        for party in parties:
            for key in party.keys:
                keys.add(self.names.get(key.lower(), key).strip())
        return keys

    def load(self, parties: Iterable[Party]) -> None:
        """Fetch everyone the parties could mean."""
        keys = self._keys(parties)
        community_id = self.currency.community_id
        self._system = {
            a.kind: a for a in Account.objects.filter(currency=self.currency, kind__in=list(SYSTEM_KEYS.values()))
        }
        numbers = {int(k[1:]) for k in keys if k.startswith("#") and k[1:].isdigit() and len(k) < 19}
        for chunk in _chunks(numbers):
            for account in Account.objects.filter(community_id=community_id, pk__in=chunk).select_related(
                "member", "organisation"
            ):
                self._accounts[account.pk] = account
        emails = {normalise_email(k) for k in keys if "@" in k}
        phones = {phone for k in keys if (phone := _phone(k))}
        words = {k.lower() for k in keys if "@" not in k and not k.startswith("#")}
        members = Member.objects.filter(community_id=community_id).select_related("user")
        for chunk in _chunks(emails):
            for member in members.filter(user__email__in=chunk):
                self._by_email[member.user.email] = member
        for chunk in _chunks(phones):
            for member in members.filter(user__phone__in=chunk):
                self._by_phone[member.user.phone] = member
        named = members.annotate(display=Lower("display_name"), full=Lower("user__full_name"))
        for chunk in _chunks(words):
            for member in named.filter(Q(display__in=chunk) | Q(full__in=chunk)):
                for name in {member.display, member.full} & set(chunk):
                    self._by_name[name].append(member)
            organisations = Organisation.objects.filter(community_id=community_id).annotate(lowered=Lower("name"))
            for organisation in organisations.filter(lowered__in=chunk):
                self._organisations[organisation.lowered] = organisation
        member_ids = {m.pk for m in [*self._by_email.values(), *self._by_phone.values()]}
        member_ids |= {m.pk for found in self._by_name.values() for m in found}
        for chunk in _chunks(member_ids):
            for account in Account.objects.filter(currency=self.currency, member_id__in=chunk):
                self._member_accounts[account.member_id] = account
        organisation_ids = {o.pk for o in self._organisations.values()}
        for account in Account.objects.filter(currency=self.currency, organisation_id__in=organisation_ids):
            self._organisation_accounts[account.organisation_id] = account

    def find(self, party: Party) -> Target:
        """The account (or the member or organisation, when they have no account in this currency yet) a party
        means. Raises a DomainError that says why no one matches."""
        if party not in self._found:  # a long file names the same few hundred people again and again
            try:
                self._found[party] = self._find(party)
            except DomainError as error:
                self._found[party] = error
        found = self._found[party]
        if isinstance(found, DomainError):
            raise found
        return found

    def _find(self, party: Party) -> Target:
        for key in party.keys:
            found = self._find_key(self.names.get(key.lower(), key).strip())
            if found is not None:
                return found
        raise DomainError(
            "party_unknown",
            f"No one here matches “{party.label}”. Use their email address, phone number or account number "
            "(like #42), or add the name to the list of who is who.",
        )

    def _find_key(self, key: str) -> Target | None:
        lowered = key.lower()
        if lowered in SYSTEM_KEYS:
            return self._system.get(SYSTEM_KEYS[lowered])
        if key.startswith("#") and key[1:].isdigit():
            return self._account_number(key)
        if "@" in key:
            return self._member(self._by_email.get(normalise_email(key)))
        phone = _phone(key)
        if phone and phone in self._by_phone:
            return self._member(self._by_phone[phone])
        if lowered in self._organisations:
            organisation = self._organisations[lowered]
            return self._organisation_accounts.get(organisation.pk, organisation)
        matches = self._by_name.get(lowered, [])
        if len(matches) > 1:
            raise DomainError(
                "party_ambiguous",
                f"{len(matches)} members are called “{key}”. Use their email address or account number instead.",
            )
        return self._member(matches[0]) if matches else None

    def _account_number(self, key: str) -> Account | None:
        account = self._accounts.get(int(key[1:])) if len(key) < 19 else None
        if account is None:
            return None
        if account.currency_id != self.currency.pk:
            raise DomainError("currency_mismatch", f"Account {key} is in another currency.")
        if account.member_id:
            self._check_active(account.member)
        return account

    def _member(self, member: Member | None) -> Target | None:
        if member is None:
            return None
        self._check_active(member)
        return self._member_accounts.get(member.pk, member)

    def _check_active(self, member: Member) -> None:
        if self.active_only and member.status != Status.ACTIVE:
            raise DomainError("member_not_active", f"{member.display_name} is not an active member.")


def _phone(key: str) -> str | None:
    if not looks_like_phone(key):
        return None
    try:
        return normalise_phone(key, settings.PHONE_DEFAULT_REGION)
    except DomainError:
        return None


def _chunks(values: set) -> Iterator[list]:
    ordered = sorted(values)
    for start in range(0, len(ordered), QUERY_CHUNK):
        yield ordered[start : start + QUERY_CHUNK]


def holder_label(target: Target) -> str:
    if isinstance(target, Account):
        return target.holder_name
    if isinstance(target, Member):
        return target.display_name
    return target.name


# A plan: rows ready for the ledger, each with its problem if it has one


@dataclass(frozen=True)
class Planned:
    """One row of a bulk operation: who pays whom how much, as the list said and as the ledger will see it."""

    line: int
    payer_label: str
    payee_label: str
    amount: int
    memo: str = ""
    category: str = ""
    reference: str = ""
    payer: Target | None = None
    payee: Target | None = None
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.code


def plan_rows(directory: Directory, rows: list[Row], errors: list[RowError], *, holders_only: bool) -> list[Planned]:
    """Resolve every parsed row's payer and payee; rows that could not be read keep their error."""
    directory.load([party for row in rows for party in (row.payer, row.payee)])
    planned = [Planned(e.line, "", "", 0, code=e.code, message=e.message) for e in errors]
    for row in rows:
        reference = f"date:{row.date.isoformat()}" if row.date else ""
        base = Planned(row.line, row.payer.label, row.payee.label, row.amount, row.memo, row.category, reference)
        try:
            payer, payee = directory.find(row.payer), directory.find(row.payee)
            if holders_only:
                _check_holder(payer, row.payer)
                _check_holder(payee, row.payee)
        except DomainError as error:
            planned.append(replace(base, code=error.code, message=error.message))
            continue
        planned.append(replace(base, payer=payer, payee=payee))
    return sorted(planned, key=lambda p: p.line)


def _check_holder(target: Target, party: Party) -> None:
    if isinstance(target, Account) and target.kind not in HOLDER_KINDS:
        raise DomainError(
            "system_account_not_allowed",
            f"“{party.label}” is one of the community's own accounts. Transfers made for members go between "
            "members and organisations; use the levy or issue tools for the community's own accounts.",
        )


def plan_levy(currency: Currency, amount: int, memo: str, people: list[tuple[int, Party]] | None) -> list[Planned]:
    """A levy of ``amount`` from every active member's account (``people`` None) or from the people listed."""
    amounts.check_amount(amount)
    fees = account_actions.system_account(currency, AccountKind.FEES)
    if people is None:
        accounts = (
            Account.objects.filter(
                currency=currency, kind=AccountKind.MEMBER, status=AccountStatus.ACTIVE, member__status=Status.ACTIVE
            )
            .select_related("member")
            .order_by("member__display_name", "pk")
        )
        return [
            Planned(n, a.holder_name, fees.holder_name, amount, memo, payer=a, payee=fees)
            for n, a in enumerate(accounts, start=1)
        ]
    directory = Directory(currency, active_only=True)
    directory.load(party for _, party in people)
    planned: list[Planned] = []
    seen: set[tuple[type, int]] = set()
    for line, party in people:
        base = Planned(line, party.label, fees.holder_name, amount, memo, payee=fees)
        try:
            payer = directory.find(party)
            _check_holder(payer, party)
        except DomainError as error:
            planned.append(replace(base, code=error.code, message=error.message))
            continue
        if (type(payer), payer.pk) in seen:
            planned.append(replace(base, code="listed_twice", message="This person is already on the list."))
            continue
        seen.add((type(payer), payer.pk))
        planned.append(replace(base, payer=payer))
    return planned


def plan_issue(currency: Currency, rows: list[Row], errors: list[RowError]) -> list[Planned]:
    """Credits from the currency's issuance account to each volunteer listed."""
    return plan_rows(Directory(currency, active_only=True), rows, errors, holders_only=False)


def plan_on_behalf(currency: Currency, rows: list[Row], errors: list[RowError]) -> list[Planned]:
    """Transfers between members (or organisations) that a coordinator makes for them."""
    return plan_rows(Directory(currency, active_only=True), rows, errors, holders_only=True)


# Running a plan: preview (dry run) or post


@dataclass(frozen=True)
class PreviewRow:
    """A row as the coordinator sees it: fine, left out, or failing with a reason."""

    line: int
    payer: str
    payee: str
    amount: int
    amount_text: str
    memo: str
    code: str = ""
    message: str = ""
    left_out: bool = False

    @property
    def ok(self) -> bool:
        return not self.code

    @property
    def failed(self) -> bool:
        return bool(self.code) and not self.left_out


@dataclass(frozen=True)
class LimitChange:
    holder: str
    debit_before: str
    debit_after: str
    credit_before: str
    credit_after: str


@dataclass
class Result:
    """A preview or a posting: every row's outcome; ``batch`` once posted (``replayed`` if it had been already)."""

    kind: str
    key: uuid.UUID
    rows: list[PreviewRow]
    limit_changes: list[LimitChange] = field(default_factory=list)
    batch: TransferBatch | None = None
    replayed: bool = False
    total_text: str = ""

    @property
    def failures(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.failed]

    @property
    def ok(self) -> bool:
        return self.batch is not None or (not self.failures and any(row.ok for row in self.rows))

    @property
    def postable_count(self) -> int:
        return sum(1 for row in self.rows if row.ok)


def run(
    coordinator: Member,
    currency: Currency,
    planned: list[Planned],
    *,
    key: uuid.UUID,
    kind: str,
    memo: str,
    reason: str,
    dry_run: bool,
    raise_limits: bool = False,
    leave_out_unpayable: bool = False,
    audit_payers: bool = False,
) -> Result:
    """Preview (``dry_run``) or post a plan, all rows or none. Posting refuses while any row fails.

    ``raise_limits`` first raises the limits of accounts the rows would take past them (each change audited);
    ``leave_out_unpayable`` drops rows whose payer would go past their limit; ``audit_payers`` writes an audit
    row for each member a coordinator paid for. Nothing of this stays unless the batch is posted."""
    require_coordinator(coordinator, currency)
    if not reason.strip():
        raise DomainError("reason_required", "Say why: it is kept in the audit log.", "reason")
    existing = TransferBatch.objects.filter(community_id=currency.community_id, key=key).first()
    if existing is not None:
        return _already_posted(currency, planned, key, kind, existing)
    if not planned:
        raise DomainError("batch_empty", "There is nothing to post.")
    if len(planned) > transfers.MAX_BATCH:
        raise DomainError("batch_too_large", f"Post at most {transfers.MAX_BATCH:,} transfers at once.")
    result: Result | None = None
    with transaction.atomic():
        try:
            result = _attempt(
                coordinator, currency, planned, key=key, kind=kind, memo=memo, reason=reason, dry_run=dry_run,
                raise_limits=raise_limits, leave_out_unpayable=leave_out_unpayable, audit_payers=audit_payers,
            )  # fmt: skip
        except IntegrityError:
            transaction.set_rollback(True)
        else:
            if result.batch is None or result.replayed:
                transaction.set_rollback(True)  # account openings and raised limits go with the preview
    if result is None:
        # Two confirms of the same preview at once: the other one posted the batch; this one posts nothing.
        existing = TransferBatch.objects.get(community_id=currency.community_id, key=key)
        return _already_posted(currency, planned, key, kind, existing)
    return result


def require_coordinator(coordinator: Member, currency: Currency) -> None:
    if coordinator.community_id != currency.community_id or not access.can_coordinate(coordinator):
        raise DomainError("not_coordinator", "Only this community's coordinators can do this.")


def _attempt(
    coordinator: Member,
    currency: Currency,
    planned: list[Planned],
    *,
    key: uuid.UUID,
    kind: str,
    memo: str,
    reason: str,
    dry_run: bool,
    raise_limits: bool,
    leave_out_unpayable: bool,
    audit_payers: bool,
) -> Result:
    planned = [_with_accounts(currency, p) if p.ok else p for p in planned]
    ready = [p for p in planned if p.ok]
    # Lock the accounts (ascending, as post_batch does) before looking for the batch: two posts of one preview
    # then queue here, and the second sees the batch the first committed instead of posting its own.
    _lock({p.payer.pk for p in ready} | {p.payee.pk for p in ready})
    existing = TransferBatch.objects.filter(community_id=currency.community_id, key=key).first()
    if existing is not None:
        return _already_posted(currency, planned, key, kind, existing)
    problems = {p.line: (p.code, p.message) for p in planned if not p.ok}
    changes = _raise_limits(coordinator, currency, ready, reason) if raise_limits and ready else []
    left_out: set[int] = set()
    batch = Batch(currency, key, kind, coordinator, memo, reason)
    # A preview, a list with unreadable rows, or a levy that may leave people out needs a dry run first; a clean
    # post goes straight to post_batch, which checks every row again under lock and posts all or none.
    if ready and (dry_run or problems or leave_out_unpayable):
        failures = batch.post(ready, dry_run=True).failures
        if leave_out_unpayable:
            unpayable = {ready[f.index].line for f in failures if f.code == "debit_limit_exceeded"}
            left_out = unpayable & _holder_lines(ready)
            ready = [p for p in ready if p.line not in left_out]
            failures = batch.post(ready, dry_run=True).failures if ready else []
        problems.update(_problems(currency, ready, failures))
    rows = _rows(currency, planned, problems, left_out)
    result = Result(kind, key, rows, changes, total_text=_total(currency, rows))
    if dry_run or result.failures or not ready:
        return result
    posted = batch.post(ready, dry_run=False)
    if not posted.ok:
        problems.update(_problems(currency, ready, posted.failures))
        rows = _rows(currency, planned, problems, left_out)
        return Result(kind, key, rows, changes, total_text=_total(currency, rows))
    result.batch = posted.batch
    if audit_payers:
        _audit_payers(coordinator, ready, posted.transfer_ids, posted.batch, reason)
    return result


@dataclass(frozen=True)
class Batch:
    """What every post_batch call of one run shares."""

    currency: Currency
    key: uuid.UUID
    kind: str
    coordinator: Member
    memo: str
    reason: str

    def post(self, ready: list[Planned], *, dry_run: bool) -> transfers.BatchOutcome:
        return transfers.post_batch(
            self.currency, _lines(ready), key=self.key, kind=self.kind, actor=self.coordinator.user, memo=self.memo,
            reason=self.reason, dry_run=dry_run,
        )  # fmt: skip


def _holder_lines(ready: list[Planned]) -> set[int]:
    return {p.line for p in ready if isinstance(p.payer, Account) and p.payer.kind in HOLDER_KINDS}


def _problems(currency: Currency, ready: list[Planned], failures) -> dict[int, tuple[str, str]]:
    return {ready[f.index].line: (f.code, _explain(currency, ready[f.index], f)) for f in failures}


def _lock(account_ids: set[int]) -> None:
    list(Account.objects.select_for_update().filter(pk__in=sorted(account_ids)).order_by("pk").values_list("pk"))


def _lines(ready: list[Planned]) -> list[Line]:
    return [
        Line(p.payer.pk, p.payee.pk, p.amount, memo=p.memo, category=p.category, reference=p.reference) for p in ready
    ]


def _with_accounts(currency: Currency, planned: Planned) -> Planned:
    """Members and organisations without an account in this currency get one (undone with a preview)."""
    payer, payee = (_account(currency, t) for t in (planned.payer, planned.payee))
    return replace(planned, payer=payer, payee=payee)


def _account(currency: Currency, target: Target | None) -> Account:
    if isinstance(target, Account):
        return target
    if isinstance(target, Member):
        return account_actions.open_account(currency, member=target)
    return account_actions.open_account(currency, organisation=target)


def _explain(currency: Currency, planned: Planned, failure) -> str:
    payer = planned.payer
    if failure.code == "debit_limit_exceeded" and isinstance(payer, Account) and payer.kind == AccountKind.ISSUANCE:
        issued = transfers.format_for(currency, max(-payer.balance, 0))
        most = transfers.format_for(currency, payer.debit_limit or 0)
        return f"This would issue more than {currency.name} allows: at most {most} in all, and {issued} is out now."
    return failure.message


def _rows(currency: Currency, planned: list[Planned], problems: dict, left_out: set[int]) -> list[PreviewRow]:
    rows = []
    for p in planned:
        code, message = problems.get(p.line, ("", ""))
        if p.line in left_out:
            code, message = "left_out", "Left out: this would take them past their limit."
        payer = holder_label(p.payer) if p.payer is not None else p.payer_label
        payee = holder_label(p.payee) if p.payee is not None else p.payee_label
        amount_text = transfers.format_for(currency, p.amount) if p.amount else ""
        rows.append(PreviewRow(p.line, payer, payee, p.amount, amount_text, p.memo, code, message, p.line in left_out))
    return rows


def _total(currency: Currency, rows: list[PreviewRow]) -> str:
    return transfers.format_for(currency, sum(row.amount for row in rows if row.ok))


def _already_posted(
    currency: Currency, planned: list[Planned], key: uuid.UUID, kind: str, batch: TransferBatch
) -> Result:
    if batch.kind != kind:
        raise DomainError("exists_with_different_lines", "A batch with this key was already posted with other lines.")
    rows = _rows(currency, planned, {}, set())
    return Result(kind, key, rows, batch=batch, replayed=True, total_text=_total(currency, rows))


# Limits for history that went further than today's limits allow


def _raise_limits(coordinator: Member, currency: Currency, ready: list[Planned], reason: str) -> list[LimitChange]:
    """Raise the limits of accounts the rows would take past them, just far enough, each change audited."""
    ids = {p.payer.pk for p in ready} | {p.payee.pk for p in ready}
    fresh = Account.objects.select_related("member", "organisation").in_bulk(ids)
    needed = limits_needed(fresh, [(p.payer.pk, p.payee.pk, p.amount) for p in ready])
    changes = []
    for account, (debit_needed, credit_needed) in needed.items():
        debit = account.debit_limit_base if account.debit_limit_base is not None else account.debit_limit
        credit = account.credit_limit
        raise_debit = account.debit_limit is not None and debit_needed > account.debit_limit
        raise_credit = credit is not None and credit_needed > credit
        if not (raise_debit or raise_credit) or account.status != AccountStatus.ACTIVE:
            continue
        changed = account_actions.set_limits(
            coordinator,
            account,
            debit_limit=debit_needed if raise_debit else debit,
            credit_limit=credit_needed if raise_credit else credit,
            reason=f"Raised so that imported history fits: {reason}",
        )
        show = lambda units: "no limit" if units is None else transfers.format_for(currency, units)  # noqa: E731
        changes.append(
            LimitChange(
                account.holder_name,
                show(account.debit_limit),
                show(changed.debit_limit),
                show(account.credit_limit),
                show(changed.credit_limit),
            )
        )
    return changes


def limits_needed(accounts: dict[int, Account], moves: list[tuple[int, int, int]]) -> dict[Account, tuple[int, int]]:
    """For each account, the furthest below zero and above zero the moves take it (holds counted), in order."""
    below = {pk: a.debits_posted + a.debits_pending - a.credits_posted for pk, a in accounts.items()}
    above = {pk: a.credits_posted + a.credits_pending - a.debits_posted for pk, a in accounts.items()}
    deepest, highest = dict(below), dict(above)
    for debit, credit, amount in moves:
        below[debit] += amount
        above[debit] -= amount
        below[credit] -= amount
        above[credit] += amount
        deepest[debit] = max(deepest[debit], below[debit])
        highest[credit] = max(highest[credit], above[credit])
    return {accounts[pk]: (deepest[pk], highest[pk]) for pk in accounts}


# Audit for transfers made on members' behalf


def _audit_payers(
    coordinator: Member, ready: list[Planned], transfer_ids: list[int], batch: TransferBatch, reason: str
) -> None:
    """One audit row per member (or organisation) paid for, so each one's history shows who moved their hours."""
    by_payer: dict[int, list[int]] = defaultdict(list)
    payers: dict[int, Account] = {}
    for planned, transfer_id in zip(ready, transfer_ids, strict=True):
        by_payer[planned.payer.pk].append(transfer_id)
        payers[planned.payer.pk] = planned.payer
    for account_id, ids in by_payer.items():
        account = payers[account_id]
        audit(
            coordinator.community,
            coordinator.user,
            "ledger.transfer_on_behalf",
            account.member if account.member_id else None,
            reason,
            batch=batch.pk,
            account=account_id,
            organisation=account.organisation_id,
            transfers=ids,
        )
