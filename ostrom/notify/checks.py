"""System checks: `manage.py check` says at once when the chosen SMS or email channel lacks its settings, instead of
the worker finding out message by message. Registered on import (NotifyConfig.ready imports this module)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.core.exceptions import ImproperlyConfigured

from ostrom.notify.channels import email_channel, sms_channel


@register("notify")
def check_channels(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Build each channel as the worker would and report a setting it is missing."""
    problems: list[CheckMessage] = []
    for check_id, make in (("notify.W001", sms_channel), ("notify.W002", email_channel)):
        try:
            make()
        except ImproperlyConfigured as error:
            problems.append(Warning(str(error), hint="See the README, 'Messages and SMS'.", id=check_id))
    return problems


@register("notify", deploy=True)
def check_sms_reaches_phones(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production, texts printed to the console or written to a file reach nobody."""
    if settings.SMS_BACKEND in {"console", "file"}:
        return [
            Warning(
                f"SMS_BACKEND is {settings.SMS_BACKEND!r}: text messages are not sent to anyone's phone.",
                hint="Set SMS_BACKEND to govuk_notify or http_gateway with its settings.",
                id="notify.W003",
            )
        ]
    return []
