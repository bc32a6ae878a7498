from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ostrom.notify"
    label = "notify"
    verbose_name = "Notifications and SMS"
