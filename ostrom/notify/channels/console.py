"""Development SMS: the text is printed where ``make run`` shows its output, and logged."""

import logging
import sys
from typing import TextIO

from ostrom.notify.channels import DELIVERED, Outgoing, SendResult

logger = logging.getLogger(__name__)


class ConsoleSms:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Outgoing) -> SendResult:
        # sys.stdout is looked up at send time so a test's capture (capsys) sees it.
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {message.to} ({message.reference}):\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        logger.info("SMS to %s (%s) printed to the console", message.to, message.reference)
        return SendResult(provider_reference=f"console:{message.reference}", status=DELIVERED)
