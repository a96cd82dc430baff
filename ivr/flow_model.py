"""The conversation record (JSON in Redis), the events fed in, the replies channels render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from redis import Redis

DISPOSITIONS = ("routine", "urgent", "emergency")
RANK = {d: i for i, d in enumerate(DISPOSITIONS)}

# Event kinds a channel sends into step().
START, SPEECH, DIGITS, SILENCE, HANGUP = "start", "speech", "digits", "silence", "hangup"


def higher(a: str, b: str) -> str:
    return a if RANK.get(a, 0) >= RANK.get(b, 0) else b


@dataclass(frozen=True)
class Event:
    """What the caller did: started, spoke (with confidence), pressed keys, nothing, hung up."""

    kind: str
    text: str = ""
    confidence: float | None = None

    @classmethod
    def speech(cls, text: str, confidence: float | None = None) -> Event:
        return cls(SPEECH, text, confidence)

    @classmethod
    def digits(cls, digits: str) -> Event:
        return cls(DIGITS, digits)


@dataclass
class Conversation:
    """One call or SMS thread: JSON-serialisable, stored at nd:conv:<channel>:<id>."""

    channel: str
    id: str
    clinic_id: str
    caller: str
    callback_number: str = ""
    language: str = "en-US"
    state: str = "new"
    turns: list[dict[str, Any]] = field(default_factory=list)  # {at, role, channel, text, kind}
    retries: int = 0
    asked: list[str] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)
    unknowns: list[str] = field(default_factory=list)
    summary: str = ""
    floor: str = "routine"  # the lowest disposition the caller's own signals allow
    floor_reasons: list[str] = field(default_factory=list)
    pending: str = ""  # low-confidence words awaiting "is that right?"
    resume: str = ""  # the state to go back to after a confirmation
    turn_no: int = 0
    # red-flag screening (ivr/protocol.yaml): screens asked, red flags the caller ruled out
    # (code -> caller turns said by then: words after that may raise it again), confirmed or
    # said yes to (code -> why), the screen or red flag being asked about now
    screened: list[str] = field(default_factory=list)
    ruled_out: dict[str, int] = field(default_factory=dict)
    affirmed: dict[str, str] = field(default_factory=dict)
    screen: str = ""
    confirming: str = ""
    person_asks: int = 0
    er_given: bool = False  # ER guidance already given in this call or thread
    watch: list[str] = field(default_factory=list)  # signs the closing said mean "go to the ER"
    done: bool = False
    ended_reason: str = ""  # completed | hangup | error | transfer
    call_status: str = ""
    started_at: str = ""

    @property
    def source_key(self) -> str:
        return f"{'call' if self.channel == 'voice' else self.channel}:{self.id}"

    @property
    def disposition(self) -> str:
        return higher(self.verdict.get("disposition", "routine"), self.floor)

    def caller_texts(self) -> list[str]:
        return [t["text"] for t in self.turns if t["role"] == "caller" and t.get("kind") == SPEECH]

    def add_turn(self, role: str, text: str, at: datetime, kind: str = SPEECH) -> None:
        self.turns.append(
            {
                "at": at.isoformat(),
                "role": role,
                "channel": self.channel,
                "text": text,
                "kind": kind,
            }
        )

    def raise_floor(self, level: str, reason: str) -> None:
        if reason not in self.floor_reasons:
            self.floor_reasons.append(reason)
        self.floor = higher(self.floor, level)

    def effective_verdict(self) -> dict[str, Any]:
        """The verdict as filed: the engine's, never below the caller's own signals."""
        v = dict(self.verdict) or {"disposition": "routine", "red_flags": [], "reasons": []}
        v["disposition"] = self.disposition
        v["reasons"] = list(v.get("reasons") or []) + self.floor_reasons
        if self.summary:
            v["summary"] = self.summary
        return v

    def to_json(self) -> str:
        return self.to_bytes().decode()

    def to_bytes(self) -> bytes:
        """The record as UTF-8 JSON (orjson: the state is written on every webhook)."""
        return orjson.dumps(self.__dict__, option=orjson.OPT_NON_STR_KEYS)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Conversation:
        return cls(**orjson.loads(raw))

    def copy(self) -> Conversation:
        """A deep copy (through JSON, so it is exactly what a reload would give)."""
        return Conversation.from_json(self.to_bytes())


@dataclass(frozen=True)
class Prompt:
    """One sentence: a prompts.yaml key and its named parameters (already channel-formatted)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """What the channel says next, what it listens for, and what the app must do."""

    conversation: Conversation
    say: list[Prompt]
    ask: Prompt | None = None  # None: nothing more to ask
    expects: str = "none"  # speech | digits | number | none
    actions: list[str] = field(default_factory=list)
    dial: str | None = None  # a number to connect the caller to (action "transfer")

    @property
    def state(self) -> str:
        return self.conversation.state

    @property
    def prompts(self) -> list[Prompt]:
        return self.say + ([self.ask] if self.ask else [])


class ConversationStore:
    """Conversations in Redis with a TTL, so any web process can serve any turn."""

    def __init__(self, redis: Redis, ttl: int):
        self.redis, self.ttl = redis, ttl

    @staticmethod
    def key(channel: str, conv_id: str) -> str:
        return f"nd:conv:{channel}:{conv_id}"

    def load(self, channel: str, conv_id: str) -> Conversation | None:
        raw = self.redis.get(self.key(channel, conv_id))
        return Conversation.from_json(raw) if raw else None  # type: ignore[arg-type]

    def save(self, conv: Conversation, pipe: Any = None) -> None:
        (pipe or self.redis).set(self.key(conv.channel, conv.id), conv.to_bytes(), ex=self.ttl)

    WATCH_TTL = 72 * 3600  # a later call or text about the same pet, in the next three days

    @staticmethod
    def watch_key(clinic_id: str, caller: str) -> str:
        return f"nd:watch:{clinic_id}:{caller}"

    def remember_watch(self, conv: Conversation) -> None:
        """What the closing told this owner to watch for, for their next call or text."""
        if conv.watch and conv.caller:
            key = self.watch_key(conv.clinic_id, conv.caller)
            self.redis.set(key, orjson.dumps(conv.watch), ex=self.WATCH_TTL)

    def watch_of(self, clinic_id: str, caller: str) -> list[str]:
        """The signs this owner was told to watch for on their last contact (none: [])."""
        raw = self.redis.get(self.watch_key(clinic_id, caller)) if caller else None
        return [str(c) for c in orjson.loads(raw)] if raw else []  # type: ignore[arg-type]
