from django.http import HttpRequest

from ostrom.communities import access


def layout(request: HttpRequest) -> dict:
    """What the base layout needs on every page: the viewer's communities for the switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": []}
    return {"my_memberships": list(access.memberships(user))}
