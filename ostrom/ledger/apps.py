from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ostrom.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from ostrom.communities import demo

        from . import demo as ledger_demo
        from . import notices, sms

        demo.register(ledger_demo.PART)
        # notify's registries: the messages the ledger sends, its digest sections, and BAL and PAY by text.
        notices.register()
        sms.register()
