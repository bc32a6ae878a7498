from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ostrom.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from ostrom.communities import demo

        from . import demo as ledger_demo

        demo.register(ledger_demo.PART)
