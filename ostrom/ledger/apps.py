from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ostrom.ledger"
    label = "ledger"
    verbose_name = "Ledger"
