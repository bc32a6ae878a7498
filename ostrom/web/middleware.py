import zoneinfo

from django.utils import timezone

from ostrom.communities.models import Community


class CommunityTimeZoneMiddleware:
    """Show times in the community's own time zone on its pages (/c/<slug>/…); everything is stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("slug")
        name = Community.objects.filter(slug=slug).values_list("time_zone", flat=True).first() if slug else None
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
