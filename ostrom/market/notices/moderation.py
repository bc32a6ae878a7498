"""(being written)"""


def register() -> None:
    """Add this part's message kinds and digest sections to notify's registry."""
