"""How many SMS segments a text costs: GSM-7 (160, or 153 per part) or UCS-2 (70, or 67)."""

from __future__ import annotations

# GSM 03.38 basic character set (one septet each) and its extension table (two septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def segments(text: str) -> int:
    """The number of SMS segments `text` is sent as (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2  # emoji are two UTF-16 code units
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def fits(text: str, max_segments: int = 2) -> bool:
    return segments(text) <= max_segments
