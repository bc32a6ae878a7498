from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ostrom.notify"
    label = "notify"
    verbose_name = "Notifications and SMS"

    def ready(self) -> None:
        # checks registers its system checks on import; kinds and commands fill notify's own registries.
        from . import checks, commands, kinds  # noqa: F401

        kinds.register_kinds()
        commands.register()
