"""Personal access tokens for the JSON API, and the API's rate limits.

A token reads ``ost_`` + a random secret. We keep only the eight characters after ``ost_`` (to find the row)
and a SHA-256 hash of the whole secret, so a copy of the database cannot be used to call the API."""

from __future__ import annotations

import hmac
import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from . import domain
from .actions import TOKEN_PREFIX
from .auth import client_address
from .models import ApiToken, Member

PREFIX_LENGTH = 8
# Secrets are 43 characters; anything much longer is not one of ours and is not worth hashing.
MAX_SECRET_LENGTH = 100
PREFIX_PATTERN = re.compile(f"^[A-Za-z0-9_-]{{{PREFIX_LENGTH}}}$")  # token_urlsafe's alphabet
# Writing last_used_at on every request would turn every read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
RATE_WINDOW_SECONDS = 60

NOT_VALID = "This API token is not valid. Check you copied all of it, or create a new one on your account page."
REVOKED = "This API token has been revoked. Create a new one on your account page."
EXPIRED = "This API token has expired. Create a new one on your account page."
NOT_ACTIVE = "This API token belongs to a membership that is not active."


def find_token(secret: str) -> ApiToken:
    """The live token behind a secret, with its member loaded, or an AuthenticationError that says why not."""
    prefix = secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + PREFIX_LENGTH]
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_SECRET_LENGTH or not PREFIX_PATTERN.match(prefix):
        raise AuthenticationError(message=NOT_VALID)
    token = (
        ApiToken.objects.select_related("member__user", "member__community", "member__organisation")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, domain.hash_token(secret)):
        raise AuthenticationError(message=NOT_VALID)
    if token.revoked_at is not None:
        raise AuthenticationError(message=REVOKED)
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise AuthenticationError(message=EXPIRED)
    member = token.member
    if not member.is_active or not member.user.is_active or member.community_id != token.community_id:
        raise AuthenticationError(message=NOT_ACTIVE)
    return token


def record_use(token: ApiToken) -> None:
    """Note when the token was last used, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ost_…``; the endpoint receives the token's Member as ``request.auth``."""

    def authenticate(self, request: HttpRequest, token: str) -> Member:
        api_token = find_token(token.strip())
        record_use(api_token)
        request.api_token = api_token  # type: ignore[attr-defined]  # the rate limit counts per token
        return api_token.member


def _count_hit(key: str) -> int:
    """Add one to a counter in the shared cache and return the new count."""
    try:
        return cache.incr(key)
    except ValueError:  # first hit in this window (or the key expired a moment ago)
        if cache.add(key, 1, RATE_WINDOW_SECONDS * 2):
            return 1
        return cache.incr(key)


class ApiRateLimit(BaseThrottle):
    """Fixed one-minute windows in the shared cache: per token when signed in, per address otherwise.

    Stateless on purpose: one instance serves every thread, so nothing about a request is kept on ``self``."""

    def allow_request(self, request: HttpRequest) -> bool:
        window = int(time.time() // RATE_WINDOW_SECONDS)
        token = getattr(request, "api_token", None)
        who = f"token:{token.pk}" if token is not None else f"ip:{client_address(request)}"
        return _count_hit(f"api-rate:{who}:{window}") <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float:
        return RATE_WINDOW_SECONDS - time.time() % RATE_WINDOW_SECONDS
