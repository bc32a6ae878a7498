"""Every change to the ledger goes through these functions (see ARCHITECTURE.md: actions)."""

from .accounts import create_currency, open_account, set_limits, set_status, system_account
from .posting import Posted
from .transfers import (
    BatchOutcome,
    Line,
    expire_holds,
    hold,
    post_batch,
    post_hold,
    reverse,
    transfer,
    void_hold,
)

__all__ = [
    "BatchOutcome",
    "Line",
    "Posted",
    "create_currency",
    "expire_holds",
    "hold",
    "open_account",
    "post_batch",
    "post_hold",
    "reverse",
    "set_limits",
    "set_status",
    "system_account",
    "transfer",
    "void_hold",
]
