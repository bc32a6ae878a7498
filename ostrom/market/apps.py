from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "ostrom.market"
    label = "market"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from . import notices, sms

        # notify's registries: the messages the marketplace sends, its digest sections and its SMS commands.
        notices.register()
        sms.register()
