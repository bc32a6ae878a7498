from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "ostrom.commons"
    label = "commons"
    verbose_name = "Commons"

    def ready(self) -> None:
        from ostrom.communities import demo

        from . import demo as commons_demo
        from . import notices, sms

        # After the ledger's and the market's parts (INSTALLED_APPS order); deleted before them.
        demo.register(commons_demo.PART)
        # notify's registries: the messages the commons sends, its digest sections and its SMS commands.
        notices.register()
        sms.register()
