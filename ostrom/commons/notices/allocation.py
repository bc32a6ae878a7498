"""Messages and digest sections: allocation (being built)."""


def register() -> None:
    pass
