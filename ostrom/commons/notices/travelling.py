"""Messages and digest sections: travelling (being built)."""


def register() -> None:
    pass
