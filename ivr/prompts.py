"""The words of the line: ivr/prompts.yaml rendered per key, channel and language."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from config import phones

PROMPTS_FILE = Path(__file__).with_name("prompts.yaml")
DEFAULT_LANGUAGE = "en-US"
CHANNELS = ("voice", "sms")
# XML 1.0 forbids these; Twilio answers error 12100 for a TwiML document containing one.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class PromptError(KeyError):
    """A prompt key (or one of its parameters) is missing from prompts.yaml."""


@lru_cache(maxsize=4)
def load(path: Path = PROMPTS_FILE) -> dict[str, dict[str, Any]]:
    """Every language's prompts, flattened to dotted keys ("watch_for.vomiting")."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables = {lang: _flatten(table) for lang, table in raw.items()}
    from ivr import protocol  # the screening questions live with the protocol they belong to

    tables[DEFAULT_LANGUAGE].update(protocol.load().prompts())
    return tables


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = prefix + key
        if isinstance(value, dict) and not set(value) <= set(CHANNELS):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    table = load()
    return key in table.get(language, {}) or key in table[DEFAULT_LANGUAGE]


def template(key: str, *, channel: str = "voice", language: str = DEFAULT_LANGUAGE) -> str:
    table = load()
    entry = table.get(language, {}).get(key, table[DEFAULT_LANGUAGE].get(key))
    if entry is None:
        raise PromptError(f"no prompt {key!r} in {PROMPTS_FILE.name}")
    if isinstance(entry, dict):
        return str(entry.get(channel) or entry.get("voice") or entry["sms"])
    return str(entry)


def render(
    key: str,
    params: dict[str, Any] | None = None,
    *,
    channel: str = "voice",
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The text of one prompt with its named fields filled in."""
    try:
        return template(key, channel=channel, language=language).format(**(params or {}))
    except KeyError as exc:
        raise PromptError(f"prompt {key!r} needs the parameter {exc.args[0]!r}") from None


def clean(text: str, limit: int = 300) -> str:
    """Caller words fit to echo: no XML-illegal characters, no runs of spaces, bounded length."""
    text = " ".join(_ILLEGAL_XML.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def digits_of(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def display_phone(phone: str, region: str = phones.DEFAULT_REGION) -> str:
    """+15555550199 -> (555) 555-0199 (national in the clinic's region, else international)."""
    return phones.texted(phone, region)


def spoken_phone(phone: str, region: str = phones.DEFAULT_REGION) -> str:
    """Digits grouped for text-to-speech: '5 5 5, 5 5 5, 0 1 9 9'."""
    return phones.spoken(phone, region)


def phone_for(phone: str, channel: str, region: str = phones.DEFAULT_REGION) -> str:
    return spoken_phone(phone, region) if channel == "voice" else display_phone(phone, region)


def when_phrase(due: datetime, now: datetime, *, language: str = DEFAULT_LANGUAGE) -> str:
    """'today at 8:30 AM' / 'tomorrow at …' / 'on Monday at …' (both in the clinic's zone)."""
    clock = due.strftime("%I:%M %p").lstrip("0")
    days = (due.date() - now.date()).days
    if days <= 0:
        return render("when_today", {"time": clock}, language=language)
    if days == 1:
        return render("when_tomorrow", {"time": clock}, language=language)
    return render("when_weekday", {"time": clock, "weekday": due.strftime("%A")}, language=language)


def words(key: str, *, language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """A word list of prompts.yaml (`words.<key>`), e.g. what counts as "yes"."""
    table = load()
    entry = table.get(language, {}).get(f"words.{key}", table[DEFAULT_LANGUAGE][f"words.{key}"])
    return tuple(str(w).lower() for w in entry)


def says(text: str, key: str, *, language: str = DEFAULT_LANGUAGE) -> bool:
    """True when the caller's words contain one of the `words.<key>` phrases."""
    padded = " " + " ".join(re.findall(r"[\w']+", text.lower())) + " "
    return any(f" {w} " in padded for w in words(key, language=language))
