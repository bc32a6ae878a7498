"""Demo: rotas (being built)."""


def load(seed: int) -> None:
    pass
