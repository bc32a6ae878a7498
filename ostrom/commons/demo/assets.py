"""Demo: assets (being built)."""


def load(seed: int) -> None:
    pass
