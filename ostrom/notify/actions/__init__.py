"""Every change notify makes goes through these functions (see ARCHITECTURE.md: actions). Writing a message only
inserts an outbox row in the caller's transaction; the worker (``tasks.drain_outbox``) sends it."""

from .digests import send_digests
from .outbox import (
    cancel_scheduled,
    claim_batch,
    deliver,
    drain,
    enqueue,
    notify,
    record_status,
    retry_dead,
    schedule,
)
from .preferences import (
    confirm_phone,
    preferences_for,
    set_digest,
    set_preference,
    set_quiet_hours,
    settings_for,
    start_phone_verification,
)

__all__ = [
    "cancel_scheduled",
    "claim_batch",
    "confirm_phone",
    "deliver",
    "drain",
    "enqueue",
    "notify",
    "preferences_for",
    "record_status",
    "retry_dead",
    "schedule",
    "send_digests",
    "set_digest",
    "set_preference",
    "set_quiet_hours",
    "settings_for",
    "start_phone_verification",
]
