"""The JSON API at /api/v1/: one NinjaAPI, token auth and rate limits by default, one error format.

Every error, whatever raised it, answers ``{"code": "...", "message": "...", "fields": {...}}``.
Apps add their routers at the bottom; an endpoint opts out of token auth with ``auth=None``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from ostrom.commons.api import ERROR_STATUS as COMMONS_ERROR_STATUS
from ostrom.commons.api import router as commons_router
from ostrom.communities.api import PATTERN_MESSAGES
from ostrom.communities.api import router as communities_router
from ostrom.communities.api_auth import ApiRateLimit, TokenAuth
from ostrom.communities.domain import DomainError
from ostrom.ledger.api import router as ledger_router
from ostrom.market.api import ERROR_STATUS as MARKET_ERROR_STATUS
from ostrom.market.api import router as market_router

# Django's own logger for failed requests, so the usual error e-mails and log handlers still see API crashes.
request_logger = logging.getLogger("django.request")


class OstromAPI(NinjaAPI):
    """A NinjaAPI whose every answer, even to an unknown address or method, uses the one error format."""

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        patterns = [with_json_errors(p) if isinstance(p, URLPattern) else p for p in patterns]
        # Last, so it only catches what no endpoint matched, whatever order apps add their routers in.
        return [*patterns, re_path(r"", unknown_address)], app_name, namespace


def with_json_errors(pattern: URLPattern) -> URLPattern:
    """Ninja answers a wrong method with a bare text 405 and its root address with an HTML 404; give both our shape."""
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return unknown_address(request)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        json_response = error_response(request, 405, f"This address does not accept {request.method}; use {allowed}.")
        json_response["Allow"] = allowed
        return json_response

    return URLPattern(pattern.pattern, answer, pattern.default_args, pattern.name)


@csrf_exempt
def unknown_address(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "There is no API endpoint at this address. The list is at /api/v1/docs.")


api = OstromAPI(
    title="Ostrom API",
    version="1",
    description="Communities, members and organisations. Send `Authorization: Bearer ost_…` with a personal "
    "access token from your account page; each token sees one community.",
    urls_namespace="api",
    auth=TokenAuth(),
    throttle=[ApiRateLimit()],
)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_input",
    429: "rate_limited",
}
# A DomainError is a 400 unless it is about who is asking (403) or about how things stand now (409): the same
# request could succeed for someone else or at another time, so calling it a bad request would mislead clients.
DOMAIN_ERROR_STATUS = {
    "not_coordinator": 403,
    "role_not_allowed": 403,
    "not_yourself": 403,
    "wrong_status": 409,
    "already_member": 409,
    "last_admin": 409,
    # The ledger (ostrom/ledger/api.py). Naming an account, currency or member the community does not have is
    # a 404, whether or not it exists in another community. Limits, frozen or closed accounts, holds already
    # resolved and keys already used are 409s: the same request may succeed later, or with a new key.
    "not_your_account": 403,
    "not_allowed": 403,
    "not_your_request": 403,
    "account_unknown": 404,
    "currency_unknown": 404,
    "payee_unknown": 404,
    "member_unknown": 404,
    "transfer_unknown": 404,
    "debit_limit_exceeded": 409,
    "credit_limit_exceeded": 409,
    "account_frozen": 409,
    "account_closed": 409,
    "account_unavailable": 409,
    "member_not_active": 409,
    "not_a_hold": 409,
    "hold_already_resolved": 409,
    "hold_expired": 409,
    "not_reversible": 409,
    "already_reversed": 409,
    "request_closed": 409,
    "request_expired": 409,
    "exists_with_different_kind": 409,
    "exists_with_different_debit_account": 409,
    "exists_with_different_credit_account": 409,
    "exists_with_different_amount": 409,
    "exists_with_different_memo": 409,
    "exists_with_different_category": 409,
    "exists_with_different_reference": 409,
    "exists_with_different_lines": 409,
    "exists_with_different_payee": 409,
    "exists_with_different_payer": 409,
    "exists_with_different_currency": 409,
}
# The marketplace's parts say theirs beside their endpoints (ostrom/market/api/); a code means one thing everywhere.
for _code, _status in MARKET_ERROR_STATUS.items():
    if DOMAIN_ERROR_STATUS.setdefault(_code, _status) != _status:
        raise ValueError(f"The market answers {_code} with {_status}, the rest of the API with another status.")
for _code, _status in COMMONS_ERROR_STATUS.items():
    if DOMAIN_ERROR_STATUS.setdefault(_code, _status) != _status:
        raise ValueError(f"The commons answers {_code} with {_status}, the rest of the API with another status.")
NO_CREDENTIALS = "Send your API token in the Authorization header: Bearer ost_…"
UNREADABLE_BODY = "The request body is not valid JSON."

# Pydantic's wording, rewritten for people; {placeholders} come from the error's context.
VALIDATION_MESSAGES = {
    "missing": "This is required.",
    "string_unicode": "Remove the characters that are not valid text.",
    "date_parsing": "Enter a date like 2026-03-02.",
    "date_from_datetime_parsing": "Enter a date like 2026-03-02.",
    "string_too_long": "Keep this to {max_length} characters or fewer.",
    "string_too_short": "This cannot be empty.",
    "too_long": "Give at most {max_length} items.",
    "too_short": "Give at least {min_length} items.",
    "less_than_equal": "Enter a number no bigger than {le}.",
    "greater_than_equal": "Enter a number no smaller than {ge}.",
    "less_than": "Enter a number smaller than {lt}.",
    "greater_than": "Enter a number bigger than {gt}.",
    "int_parsing": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "float_type": "Enter a number.",
    "finite_number": "Enter an ordinary number.",
    "bool_parsing": "Enter true or false.",
    "bool_type": "Enter true or false.",
    "string_type": "Enter text.",
    "list_type": "Enter a list.",
    "model_type": "Enter an object with named fields.",
    "model_attributes_type": "Enter an object with named fields.",
    "dict_type": "Enter an object with named fields.",
    "extra_forbidden": "This field is not recognised.",
    "enum": "Choose one of: {expected}.",
    "literal_error": "Choose one of: {expected}.",
    "json_invalid": UNREADABLE_BODY,
}


def error_response(
    request: HttpRequest, status: int, message: str, code: str | None = None, fields: dict[str, str] | None = None
) -> HttpResponse:
    """The one error shape, with the status's code unless a more precise one is given."""
    body = {"code": code or STATUS_CODES.get(status, "error"), "message": message, "fields": fields or {}}
    return api.create_response(request, body, status=status)


def readable(value: Any) -> Any:
    """Limits as people write them: 2,000 rather than 2000, 90 rather than 90.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def human_message(error: dict[str, Any]) -> str:
    """One pydantic error in words a person understands; pydantic's own text when we have nothing better."""
    context = {key: readable(value) for key, value in (error.get("ctx") or {}).items()}
    if error["type"] == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(context.get("pattern", ""), "This is not in the expected format.")
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    template = VALIDATION_MESSAGES.get(error["type"])
    try:
        return template.format(**context) if template else str(error["msg"])
    except (KeyError, IndexError):
        return str(error["msg"])


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "skills", 3)`` → ``skills``: drop where it came from and list positions."""
    source, *rest = loc
    if source == "body" and rest:
        rest = rest[1:]  # the endpoint's name for the whole body
    names = [str(part) for part in rest if not isinstance(part, int)]
    return ".".join(names) or str(source)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(field_name(error["loc"]), human_message(error))
    message = next(iter(fields.values())) if len(fields) == 1 else "Some of the details sent are not valid."
    return error_response(request, 422, message, fields=fields)


@api.exception_handler(DomainError)
def broken_rule(request: HttpRequest, exc: DomainError) -> HttpResponse:
    fields = {exc.field: exc.message} if exc.field else {}
    return error_response(request, DOMAIN_ERROR_STATUS.get(exc.code, 400), exc.message, code=exc.code, fields=fields)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # Ninja raises a bare AuthenticationError ("Unauthorized") when no Authorization header was sent.
    message = exc.message if exc.message != "Unauthorized" else NO_CREDENTIALS
    response = error_response(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def rate_limited(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # Ninja adds the Retry-After header itself from the throttle's wait().
    return error_response(request, 429, "Too many requests. Wait a minute and try again.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises HttpError(400) when it cannot parse the body; say so plainly.
    message = UNREADABLE_BODY if exc.message.startswith("Cannot parse request body") else exc.message
    return error_response(request, exc.status_code, message)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, str(exc) or "You are not allowed to do this.")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # access.py's Http404s carry a sentence for people ("No member with that number here.").
    return error_response(request, 404, str(exc) or "Nothing was found at this address.")


@api.exception_handler(ObjectDoesNotExist)
def no_such_row(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    # Django's own text names the model and the query; people need less than that.
    return error_response(request, 404, "Nothing was found at this address.")


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    request_logger.error(
        "API error: %s %s", request.method, request.path, exc_info=exc, extra={"status_code": 500, "request": request}
    )
    return error_response(request, 500, "Something went wrong on our side. Please try again later.", "server_error")


api.add_router("/", communities_router)
api.add_router("/", ledger_router)
api.add_router("/", market_router)
api.add_router("/", commons_router)
