from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ostrom.communities import access
from ostrom.communities.models import Community


def home(request: HttpRequest) -> HttpResponse:
    """Members go to the community they used last; everyone else sees what Ostrom is and who runs on it."""
    active = [m for m in access.memberships(request.user) if m.is_active]
    if active:
        last = request.session.get("community")
        chosen = next((m for m in active if m.community.slug == last), active[0])
        return redirect("community_home", chosen.community.slug)
    return render(
        request, "web/home.html", {"communities": Community.objects.all(), "pending": access.memberships(request.user)}
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"title": title, "message": message, "status": status}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 400, "Something was wrong with the request", "Go back, check what you entered and try again."
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have permission to see this page."
    return _error(request, 403, "You cannot see this page", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Page not found", "If you typed the web address, check it is correct.")


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors here: the database may be the thing that failed.
    html = (
        "<!doctype html><html lang='en-gb'><head><meta charset='utf-8'><title>Sorry, something went wrong – Ostrom</title></head>"
        "<body><main><h1>Sorry, something went wrong</h1><p>Nothing you entered has been saved. Try again in a few minutes.</p>"
        "</main></body></html>"
    )
    return HttpResponse(html, status=500)
