"""Messages and digest sections: bookings (being built)."""


def register() -> None:
    pass
