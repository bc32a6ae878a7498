from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "ostrom.communities"
    label = "communities"
    verbose_name = "Communities and members"
