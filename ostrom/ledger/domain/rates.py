"""Exchange rates between two communities' currencies, as integer fractions."""

from __future__ import annotations

from ostrom.communities.domain import DomainError

MAX_RATE_TERM = 1_000_000


def check_rate(numerator: int, denominator: int) -> None:
    if not (0 < numerator <= MAX_RATE_TERM and 0 < denominator <= MAX_RATE_TERM):
        raise DomainError("invalid_rate", f"Both parts of the rate must be whole numbers from 1 to {MAX_RATE_TERM:,}.")


def convert(amount: int, numerator: int, denominator: int) -> int:
    """What ``amount`` of the paying currency is worth in the receiving one, rounded down to a whole unit.

    Rounding down means a payment never creates value in the receiving community; an amount too small
    to be worth one unit there is refused rather than turned into nothing."""
    check_rate(numerator, denominator)
    converted = amount * numerator // denominator
    if converted <= 0:
        raise DomainError(
            "amount_too_small_to_convert", "That amount is worth less than one unit in the other community."
        )
    return converted
