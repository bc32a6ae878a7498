"""Importing history from a CSV file: past transfers, or opening balances, all or nothing.

Every row is read (domain/csv_formats.py), everyone named is found (bulk.Directory), the whole file is dry-run
through transfers.post_batch, and only when every row is fine is it posted, as one batch. The batch key comes
from the file's contents, so the same file can't be imported twice into the same currency, and a confirm pressed
twice posts once. The formats and the choices made here are documented in docs/ledger-import-formats.md."""

from __future__ import annotations

import hashlib
import uuid
import zoneinfo
from dataclasses import dataclass, field

from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from ..domain import csv_formats
from ..domain.csv_formats import FileFormat
from ..models import Currency, TransferBatch
from . import bulk

# The batch key of an import is a UUID derived from what was imported, in this namespace.
IMPORT_NAMESPACE = uuid.UUID("6f0b8c52-4a53-4d3e-9c36-0f1b5a0f4e21")

MEMOS = {
    FileFormat.OSTROM: "Imported transfer",
    FileFormat.OSTROM_BALANCES: csv_formats.OPENING_BALANCE_MEMO,
    FileFormat.TIMEOVERFLOW_EXPORT: "Imported from TimeOverflow",
    FileFormat.TIMEOVERFLOW_IMPORT: "Imported from TimeOverflow",
    FileFormat.KOMUNITIN: "Imported from Komunitin",
}


@dataclass
class Imported:
    """A preview or a posting of one file: the format it was read as, and every row's outcome."""

    format: FileFormat
    result: bulk.Result
    skipped: list[int] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return batch_kind(self.format)


def batch_kind(file_format: FileFormat) -> str:
    return "opening_balances" if file_format == FileFormat.OSTROM_BALANCES else "import"


def read_upload(data: bytes) -> str:
    """An uploaded file as text, or a clear refusal (too big, binary, not UTF-8)."""
    return csv_formats.decode(data)


def import_key(currency: Currency, file_format: FileFormat, text: str) -> uuid.UUID:
    """The same file in the same format and currency always gets the same batch key."""
    digest = hashlib.sha256(text.removeprefix("\ufeff").encode("utf-8")).hexdigest()
    return uuid.uuid5(IMPORT_NAMESPACE, f"{currency.community_id}:{currency.pk}:{file_format}:{digest}")


def run(
    coordinator: Member,
    currency: Currency,
    text: str,
    *,
    reason: str,
    file_format: FileFormat | None = None,
    names: str = "",
    raise_limits: bool = False,
    dry_run: bool = True,
) -> Imported:
    """Preview (``dry_run``) or post a file. Posting writes nothing unless every row can be posted."""
    bulk.require_coordinator(coordinator, currency)
    units = csv_formats.Units(currency.kind, currency.scale)
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(coordinator.community.time_zone))
    parsed = csv_formats.parse(text, units, file_format, today=today)
    who_is_who = _names(names)
    directory = bulk.Directory(currency, who_is_who)
    planned = bulk.plan_rows(directory, parsed.rows, parsed.errors, holders_only=False)
    if not planned:
        raise DomainError("file_no_rows", "Every row of the file has a balance of zero: there is nothing to import.")
    result = bulk.run(
        coordinator,
        currency,
        planned,
        key=import_key(currency, parsed.format, text),
        kind=batch_kind(parsed.format),
        memo=MEMOS[parsed.format],
        reason=reason,
        dry_run=dry_run,
        raise_limits=raise_limits,
    )
    return Imported(parsed.format, result, parsed.skipped)


def _names(text: str) -> dict[str, str]:
    names, errors = csv_formats.parse_names(text)
    if errors:
        first = errors[0]
        raise DomainError("names_invalid", f"Line {first.line} of the list of who is who: {first.message}", "names")
    return names


def posted_batch(coordinator: Member, key: uuid.UUID) -> TransferBatch | None:
    """The batch already posted with this key in the coordinator's community, if any."""
    return TransferBatch.objects.filter(community_id=coordinator.community_id, key=key).first()
