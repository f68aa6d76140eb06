"""The e-mail backend of every environment: sends through the real one, keeps a copy.

settings.EMAIL_BACKEND names this class; COOPATLAS_EMAIL_DELIVERY names the backend that
really delivers (SMTP in production, the console in development). Code that sends mail uses
django.core.mail as usual and needs to know nothing of it: each message is stored once per
recipient (to, cc, bcc) in the outbox, linked to the account with that address, and shown
in its "Mes messages" page. The copy is kept even when delivery fails (marked undelivered),
so that a person still finds the message in the atlas.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class RecordingEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.inner = get_connection(settings.COOPATLAS_EMAIL_DELIVERY, fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.inner.open()

    def close(self):
        return self.inner.close()

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        sent = 0
        for message in email_messages:
            delivered = False
            try:
                delivered = bool(self.inner.send_messages([message]))
            except Exception:
                self._record(message, delivered=False)
                if not self.fail_silently:
                    raise
                logger.exception("e-mail not delivered: %s", message.subject)
                continue
            self._record(message, delivered=delivered)
            sent += int(delivered)
        return sent

    @staticmethod
    def _record(message, *, delivered: bool) -> None:
        from .services import outbox_record

        try:
            outbox_record(message=message, delivered=delivered)
        except Exception:  # the copy must never stop the mail itself
            logger.exception("e-mail not recorded in the outbox: %s", message.subject)
