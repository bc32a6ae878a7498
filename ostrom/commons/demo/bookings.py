"""Demo: bookings (being built)."""


def load(seed: int) -> None:
    pass
