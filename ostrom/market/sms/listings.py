"""(being written)"""


def register() -> None:
    """Add this part's SMS commands (and YES/NO confirmers) to notify's registry."""
