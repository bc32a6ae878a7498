"""SMS commands: rotas (being built)."""


def register() -> None:
    pass
