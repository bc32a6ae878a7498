"""When to try sending a message again after a temporary failure: doubling waits with a cap, and a little jitter
so messages that failed together (a provider outage) do not all come back at the same second."""

from __future__ import annotations

import hashlib

MAX_ATTEMPTS = 6
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 3600
# Up to a fifth more than the base delay: enough to spread a burst, never enough to reorder the schedule.
JITTER_DIVISOR = 5
# 2**20 times the first delay is far past the cap; beyond it there is nothing left to double.
MAX_DOUBLINGS = 20


def next_attempt_delay_seconds(attempts: int, seed: object = "") -> int:
    """Seconds to wait after ``attempts`` failed tries (30, 60, 120 … up to 3600), plus up to 20% jitter.

    The jitter is deterministic in ``seed`` (e.g. the message's reference), so a retry is reproducible.
    """
    doublings = min(max(attempts, 1) - 1, MAX_DOUBLINGS)
    base = min(FIRST_DELAY_SECONDS * 2**doublings, MAX_DELAY_SECONDS)
    digest = hashlib.sha256(f"{seed}:{attempts}".encode("utf-8", "surrogatepass")).digest()
    jitter = int.from_bytes(digest[:8], "big") % (base // JITTER_DIVISOR + 1)
    return min(base + jitter, MAX_DELAY_SECONDS)


def gives_up(attempts: int) -> bool:
    """True once ``attempts`` tries have failed and the message should go to the dead letters."""
    return attempts >= MAX_ATTEMPTS
