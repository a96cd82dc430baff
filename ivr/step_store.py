"""One Redis round trip to read a webhook step, one to commit it (Lua scripts, atomic).

A step of a call is keyed by Twilio's (CallSid, step). `peek` returns the answer already given
to that step (a retry or duplicate: replay it) or the conversation as stored. The step is then
computed without holding anything, and `commit` stores its answer and the new conversation
together, only if no other request answered the step first (then that answer is returned, so
a duplicate never files, texts or pages twice) and only if the conversation is still the one
the step read (compare-and-set on its SHA-1: a status callback racing a turn never overwrites
the turn's state; the loser recomputes on the fresh state).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from redis import Redis

from ivr.flow_model import Conversation, ConversationStore

SEEN_TTL = 24 * 3600
UNCHECKED = "-"  # commit without comparing the stored conversation (a new call)

_PEEK = """
local answer = redis.call('GET', KEYS[1])
if answer then return {1, answer} end
local conv = redis.call('GET', KEYS[2])
if conv then return {0, conv} end
return {0}
"""

_COMMIT = """
local answer = redis.call('GET', KEYS[1])
if answer then return {1, answer} end
if ARGV[5] ~= '-' then
  local cur = redis.call('GET', KEYS[2])
  local have = ''
  if cur then have = redis.sha1hex(cur) end
  if have ~= ARGV[5] then return {2} end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
return {0}
"""


@dataclass(frozen=True)
class Peek:
    """What a step reads: an earlier answer to replay, or the conversation and its version."""

    answer: str | None
    conversation: Conversation | None
    version: str  # SHA-1 of the stored record ('' when there is none)


class Conflict(Exception):
    """The conversation changed between peek and commit (another webhook of the same call)."""


class StepStore:
    """Answers of webhook steps and the conversations they advance, in Redis."""

    def __init__(self, redis: Redis, conversation_ttl: int) -> None:
        self.redis, self.ttl = redis, conversation_ttl
        self._peek = redis.register_script(_PEEK)
        self._commit = redis.register_script(_COMMIT)

    @staticmethod
    def seen_key(channel: str, sid: str, step: str) -> str:
        return f"nd:seen:{channel}:{sid}:{step}"

    def peek(self, channel: str, sid: str, step: str) -> Peek:
        keys = [self.seen_key(channel, sid, step), ConversationStore.key(channel, sid)]
        reply: list[Any] = self._peek(keys=keys)
        if reply[0] == 1:
            return Peek(_text(reply[1]), None, "")
        if len(reply) == 1:
            return Peek(None, None, "")
        raw = reply[1]
        return Peek(None, Conversation.from_json(raw), hashlib.sha1(raw).hexdigest())

    def commit(
        self, conv: Conversation, step: str, answer: str, *, version: str = UNCHECKED
    ) -> str | None:
        """Store the step's answer and the conversation; None when stored, else the answer
        another request gave this step first. Conflict when the conversation moved on."""
        channel, sid = conv.channel, conv.id
        keys = [self.seen_key(channel, sid, step), ConversationStore.key(channel, sid)]
        args: list[str | bytes | int] = [answer, conv.to_bytes(), SEEN_TTL, self.ttl, version]
        reply: list[Any] = self._commit(keys=keys, args=args)
        if reply[0] == 2:
            raise Conflict(f"conversation …{conv.id[-6:]} changed during step {step}")
        return _text(reply[1]) if reply[0] == 1 else None

    def remember(self, channel: str, sid: str, step: str, answer: str) -> None:
        """Record an answer given outside commit (the error fallback), for retries to replay."""
        self.redis.set(self.seen_key(channel, sid, step), answer, ex=SEEN_TTL)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
