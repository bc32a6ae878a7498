"""Demo: travelling (being built)."""


def load(seed: int) -> None:
    pass
