"""Tests and the demo: each SMS becomes one JSON line in SMS_FILE_PATH, so a test can read what a phone would have
received. Like a provider that honours an idempotency reference, a reference already written is not written again,
which is what lets the worker's crash tests count lines to prove "exactly once"."""

import fcntl
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ostrom.notify.channels import (
    DELIVERED,
    MAX_SMS_BODY_CHARS,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    short_error,
)

# References already in each file, read incrementally: a drain of thousands of messages must not re-read the
# whole file for every send. The file lock below makes check-then-append atomic across worker processes.
_lock = threading.Lock()
_seen_by_path: dict[str, "_SeenReferences"] = {}


@dataclass
class _SeenReferences:
    identity: tuple[int, int] = (0, 0)  # (device, inode): a file replaced or truncated is read again from the start
    offset: int = 0
    references: set[str] = field(default_factory=set)


class FileSms:
    name = "file"

    def __init__(self, path: str | Path | None = None) -> None:
        path = settings.SMS_FILE_PATH if path is None else path
        if not path:
            raise ImproperlyConfigured("SMS_BACKEND is 'file' but SMS_FILE_PATH is empty: set it to a file to write.")
        self.path = Path(path)

    def send(self, message: Outgoing) -> SendResult:
        if len(message.body) > MAX_SMS_BODY_CHARS:
            raise PermanentFailure(f"The text is {len(message.body)} characters; the limit is {MAX_SMS_BODY_CHARS}.")
        line = json.dumps(
            {"reference": message.reference, "to": message.to, "body": message.body, "sent_at": _now()},
            ensure_ascii=False,
        )
        try:
            self._append_once(message.reference, line)
        except OSError as error:
            raise TemporaryFailure(short_error(f"Could not write {self.path}: {error}")) from error
        return SendResult(provider_reference=f"file:{message.reference}", status=DELIVERED)

    def _append_once(self, reference: str, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                seen = self._catch_up(handle)
                if reference in seen.references:
                    return
                handle.seek(0, os.SEEK_END)
                # A worker killed mid-write leaves a line without its newline; start afresh rather than join it.
                if handle.tell() and not _ends_with_newline(handle):
                    handle.write(b"\n")
                handle.write(line.encode() + b"\n")
                handle.flush()
                seen.references.add(reference)
                seen.offset = handle.tell()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _catch_up(self, handle: IO[bytes]) -> _SeenReferences:
        stat = os.fstat(handle.fileno())
        key = str(self.path.resolve())
        seen = _seen_by_path.get(key)
        if seen is None or seen.identity != (stat.st_dev, stat.st_ino) or stat.st_size < seen.offset:
            seen = _seen_by_path[key] = _SeenReferences(identity=(stat.st_dev, stat.st_ino))
        if stat.st_size == seen.offset:
            return seen
        handle.seek(seen.offset)
        for raw in handle.read().splitlines():
            try:
                seen.references.add(str(json.loads(raw)["reference"]))
            except (ValueError, KeyError, TypeError):
                continue  # a torn or foreign line: nothing to remember
        seen.offset = stat.st_size
        return seen


def _ends_with_newline(handle: IO[bytes]) -> bool:
    handle.seek(-1, os.SEEK_END)
    last = handle.read(1)
    handle.seek(0, os.SEEK_END)
    return bool(last == b"\n")


def _now() -> str:
    return timezone.now().isoformat()
