from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "ostrom.market"
    label = "market"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from ostrom.communities import demo

        from . import demo as market_demo
        from . import notices, sms

        # After the ledger's part (INSTALLED_APPS order), whose currencies it uses; deleted before it.
        demo.register(market_demo.PART)
        # notify's registries: the messages the marketplace sends, its digest sections and its SMS commands.
        notices.register()
        sms.register()
