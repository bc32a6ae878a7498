from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "ostrom.commons"
    label = "commons"
    verbose_name = "Commons"
