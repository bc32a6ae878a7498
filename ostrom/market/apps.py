from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "ostrom.market"
    label = "market"
    verbose_name = "Marketplace"
