"""Process logging without personal data: phone numbers masked to their last four digits.

Our own log lines mask numbers where they are written (`tickets.outbound.mask`) and carry no
symptoms, pet names or message bodies at INFO; this is the net under them, for every handler
the process logs through, and it keeps the twilio library's request logging off (at INFO it
logs each request's query, e.g. the `To` of a message search: a full number).
"""

from __future__ import annotations

import logging
import re

# "+15555550123", or URL-encoded "%2B15555550123"; not the digit runs inside SIDs or ids.
PHONE = re.compile(r"(?<![\w%])(\+|%2B)(\d{3,11})(\d{4})(?!\d)")
QUIET = ("twilio.http_client",)  # logs each request (and a search's `To=`) at INFO
MASKED = ("urllib3.connectionpool",)  # logs each request line, query included, at DEBUG
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def mask_phones(text: str) -> str:
    """Every E.164-looking number in `text`, masked to its last four digits ("…0123")."""
    return PHONE.sub(lambda m: "…" + m.group(3), text)


class PhoneMask(logging.Filter):
    """Masks phone numbers in a record's message (and traceback) before a handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        return True


def _add_mask(target: logging.Filterer) -> None:
    if not any(isinstance(f, PhoneMask) for f in target.filters):
        target.addFilter(PhoneMask())


def guard_library_loggers() -> None:
    """The HTTP libraries under the twilio client: request logging off, or numbers masked where
    the record is made (before any handler, a test's included)."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in MASKED:
        _add_mask(logging.getLogger(name))


def setup_logging(level: int = logging.INFO, fmt: str = FORMAT) -> None:
    """Log to stderr at `level` through handlers that mask numbers; library request logs off."""
    logging.basicConfig(level=level, format=fmt)
    for handler in logging.getLogger().handlers:
        _add_mask(handler)
    guard_library_loggers()
