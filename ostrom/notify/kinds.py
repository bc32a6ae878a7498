"""The kinds of message notify sends on its own account. Other apps register theirs from their ``AppConfig.ready``;
``NotifyConfig.ready`` calls ``register_kinds``."""

from ostrom.notify.registry import MessageKind, register_kind

PHONE_VERIFICATION = MessageKind(
    "notify.phone_verification", "Codes to confirm your phone number", essential=True, default_channel="sms"
)
SMS_REPLY = MessageKind("notify.sms_reply", "Replies to your text messages", essential=True, default_channel="sms")
# How often and by which channel is set with the digest itself (NotificationSettings), not as a preference.
DIGEST = MessageKind("notify.digest", "Your digest", default_channel="email")

OWN_KINDS = (PHONE_VERIFICATION, SMS_REPLY, DIGEST)


def register_kinds() -> None:
    """Register notify's own kinds; safe to call again (a known key is replaced)."""
    for kind in OWN_KINDS:
        register_kind(kind)
