"""Amounts are integers in the currency's smallest unit (minutes for time). These turn them into words and back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ostrom.communities.domain import DomainError

# A trillion minutes is 1.9 million years: any amount above this is a typing mistake, and it keeps
# sums of many amounts far inside a signed 64-bit column.
MAX_AMOUNT = 10**12

TIME = "time"
CREDIT = "credit"

HOURS_MINUTES = re.compile(r"^(?P<h>\d+):(?P<m>[0-5]\d)$")
HOURS_AND_MINUTES_WORDS = re.compile(r"^(?:(?P<h>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d+)\s*m(?:in(?:utes?|s)?)?)?$")


def parse_amount(text: str, kind: str, scale: int = 1) -> int:
    """Read what a person typed ("1:30", "1.5", "2h 15m", "12.50") as a positive whole number of smallest units."""
    raw = " ".join(str(text).strip().lower().split())
    if not raw:
        raise DomainError("amount_required", "Enter an amount.", "amount")
    units = _parse_time(raw) if kind == TIME else _parse_decimal(raw, scale)
    return check_amount(units)


def check_amount(units: int) -> int:
    """An amount must be a whole, positive number of smallest units, and not absurdly large."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise DomainError("amount_not_whole", "The amount must be a whole number of the smallest unit.", "amount")
    if units <= 0:
        raise DomainError("amount_not_positive", "The amount must be more than zero.", "amount")
    if units > MAX_AMOUNT:
        raise DomainError("amount_too_large", "That amount is far too large. Check it and try again.", "amount")
    return units


def _parse_time(raw: str) -> int:
    match = HOURS_MINUTES.match(raw)
    if match:
        return int(match["h"]) * 60 + int(match["m"])
    match = HOURS_AND_MINUTES_WORDS.match(raw)
    if match and (match["h"] or match["m"]):
        return int(match["h"] or 0) * 60 + int(match["m"] or 0)
    minutes = _parse_decimal(raw, 60)
    return minutes


def _parse_decimal(raw: str, scale: int) -> int:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise DomainError(
            "amount_invalid", "Enter the amount as a number, for example 1.5 or 1:30.", "amount"
        ) from None
    if not value.is_finite():
        raise DomainError("amount_invalid", "Enter the amount as a number, for example 1.5 or 1:30.", "amount")
    if value <= 0:
        raise DomainError("amount_not_positive", "The amount must be more than zero.", "amount")
    if value > MAX_AMOUNT:
        raise DomainError("amount_too_large", "That amount is far too large. Check it and try again.", "amount")
    units = value * scale
    if units != units.to_integral_value():
        smallest = "a minute" if scale == 60 else f"1/{scale}"
        raise DomainError("amount_too_precise", f"The amount can't be smaller than {smallest}.", "amount")
    return int(units)


def format_amount(units: int, kind: str, scale: int = 1, symbol: str = "") -> str:
    """Show an amount the way people say it: "1 h 30 min", "-45 min", "12.50 ₡"."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    if kind == TIME:
        hours, minutes = divmod(units, 60)
        if hours and minutes:
            return f"{sign}{hours} h {minutes} min"
        if hours:
            return f"{sign}{hours} h"
        return f"{sign}{minutes} min"
    if scale == 1:
        text = f"{units:,}"
    else:
        digits = len(str(scale - 1))
        whole, part = divmod(units, scale)
        text = f"{whole:,}.{part:0{digits}d}"
    return f"{sign}{text} {symbol}".strip()


def format_hours_minutes(units: int) -> str:
    """The H:MM form used in exports ("-1:05"), which spreadsheets and people both read without ambiguity."""
    sign = "-" if units < 0 else ""
    hours, minutes = divmod(abs(units), 60)
    return f"{sign}{hours}:{minutes:02d}"
