"""Messages and digest sections: rotas (being built)."""


def register() -> None:
    pass
