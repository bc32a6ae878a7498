"""Background tasks: rotas (being built)."""

PERIODIC: tuple = ()
