from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ostrom.web"
    label = "web"
    verbose_name = "Web pages"
