"""Demo: allocation (being built)."""


def load(seed: int) -> None:
    pass
