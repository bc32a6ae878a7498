"""SMS commands: bookings (being built)."""


def register() -> None:
    pass
