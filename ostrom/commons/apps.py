from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "ostrom.commons"
    label = "commons"
    verbose_name = "Commons"

    def ready(self) -> None:
        from . import notices, sms

        # notify's registries: the messages the commons sends, its digest sections and its SMS commands.
        notices.register()
        sms.register()
