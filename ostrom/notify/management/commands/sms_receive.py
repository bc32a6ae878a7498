"""Act on a text message as if a provider had just delivered it, and print the reply: how a coordinator tries the
SMS commands (or shows a resident how they work) without a gateway. ``make run``'s demo resident Gwen Hughes has
the number 07700 900123: ``python manage.py sms_receive 07700900123 BAL``."""

import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ostrom.communities.domain import DomainError, normalise_phone
from ostrom.notify.actions import inbound
from ostrom.notify.channels.webhooks import InboundSms


class Command(BaseCommand):
    help = "Handle a text message from PHONE as if it had just arrived, and print the reply."

    def add_arguments(self, parser) -> None:
        parser.add_argument("phone", help="The sender's number, e.g. 07700900123 or +447700900123.")
        parser.add_argument("text", nargs="+", help="What they texted, e.g. PAY Colin 1:30 garden help.")

    def handle(self, *args, **options) -> None:
        try:
            phone = normalise_phone(options["phone"], settings.PHONE_DEFAULT_REGION)
        except DomainError as error:
            raise CommandError(error.message) from None
        text = " ".join(options["text"])
        received = InboundSms(provider_id=f"local-{uuid.uuid4()}", phone=phone, text=text)
        reply = inbound.handle_inbound(received)
        if reply is None:
            self.stdout.write("(no reply: the number is over its rate limit, or the text was a repeat)")
            return
        # The reply waits in the outbox like any other message; the worker sends it through SMS_BACKEND.
        self.stdout.write(reply.body)
