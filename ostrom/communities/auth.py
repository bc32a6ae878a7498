"""Log in with an email address or a phone number, with failures throttled per identifier and per address."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from . import domain
from .models import User


def find_user(identifier: str) -> User | None:
    """The user an email address or phone number belongs to, if any."""
    if domain.looks_like_phone(identifier):
        try:
            phone = domain.normalise_phone(identifier, settings.PHONE_DEFAULT_REGION)
        except domain.DomainError:
            return None
        return User.objects.filter(phone=phone).first()
    return User.objects.filter(email=domain.normalise_email(identifier)).first()


class EmailOrPhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = find_user(username)
        if user is None:
            User().set_password(password)  # spend the same time as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def _canonical_identifier(identifier: str) -> str:
    """One throttle key per account however it is typed, so respelling a phone number buys no extra attempts."""
    if domain.looks_like_phone(identifier):
        try:
            return domain.normalise_phone(identifier, settings.PHONE_DEFAULT_REGION)
        except domain.DomainError:
            pass
    return domain.normalise_email(identifier)


def client_address(request) -> str:
    """The caller's address for rate limits. Behind our proxy it is the last X-Forwarded-For entry, the one
    the proxy itself appended (earlier entries are whatever the client claimed)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _throttle_keys(identifier: str, address: str) -> list[str]:
    return [f"login-fail:id:{domain.hash_token(_canonical_identifier(identifier))}", f"login-fail:ip:{address}"]


def login_locked(identifier: str, address: str) -> bool:
    """True when too many recent failures came for this identifier, or (five times over) from this address."""
    id_key, ip_key = _throttle_keys(identifier, address)
    limit = settings.LOGIN_MAX_FAILURES
    return cache.get(id_key, 0) >= limit or cache.get(ip_key, 0) >= limit * 5


def record_login_failure(identifier: str, address: str) -> None:
    for key in _throttle_keys(identifier, address):
        cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        else:
            # The database cache's incr re-saves the key with the default 5-minute timeout; keep the lockout window.
            cache.touch(key, settings.LOGIN_LOCKOUT_SECONDS)


def clear_login_failures(identifier: str, address: str) -> None:
    cache.delete(_throttle_keys(identifier, address)[0])
