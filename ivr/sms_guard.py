"""Redis bookkeeping of the SMS line: threads, duplicate MessageSids, flood and pumping limits."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

SEEN_TTL = 24 * 3600
RATE_WINDOW = 10 * 60  # seconds over which Settings.sms_rate_limit inbound texts are answered
REPLY_WINDOW = 24 * 3600  # seconds over which Settings.sms_replies_per_day replies are sent
NANP_PREMIUM = ("+1900", "+1976")  # premium-rate area codes: never text them


def _decode(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


@dataclass
class SmsGuard:
    """All keys are per (clinic number, owner number); the owner's number is never logged."""

    redis: Redis
    thread_seconds: int
    rate_limit: int
    replies_per_day: int
    clinic_replies_per_hour: int = 500

    def thread(self, clinic: str, caller: str, message_sid: str, now: float) -> str:
        """The open thread of this owner with this clinic, or a new one after a quiet window.

        `now` (epoch seconds, the app's clock) decides the window; the key's TTL only cleans up.
        """
        key = f"nd:sms:thread:{clinic}:{caller}"
        with self.redis.lock(f"nd:lock:{key}", timeout=10, blocking_timeout=5):
            raw = self.redis.get(key)
            tid, _, last = _decode(raw).partition(" ") if raw is not None else ("", "", "")
            try:
                quiet = now - float(last)
            except ValueError:
                quiet = float("inf")
            if not tid or quiet > self.thread_seconds or quiet < -self.thread_seconds:
                tid = message_sid
            self.redis.set(key, f"{tid} {now}", ex=self.thread_seconds + 3600)
            return tid

    def flooding(self, clinic: str, caller: str) -> bool:
        """Count one inbound text; True once the owner sent more than the limit in the window."""
        key = f"nd:sms:rate:{clinic}:{caller}"
        return self._count(key, RATE_WINDOW) > self.rate_limit

    def first_er_reply(self, thread_id: str) -> bool:
        """True the first time this thread is sent the ER details (later calls: False)."""
        return bool(self.redis.set(f"nd:sms:er:{thread_id}", "1", nx=True, ex=SEEN_TTL))

    def er_replied(self, thread_id: str) -> bool:
        return bool(self.redis.exists(f"nd:sms:er:{thread_id}"))

    def reply_allowed(self, clinic: str, caller: str) -> bool:
        """Spend one reply of the owner's daily budget and of the clinic's hourly budget
        (SMS pumping guards: one number, or many numbers at once); False when either is spent."""
        own = self._count(f"nd:sms:out:{clinic}:{caller}", REPLY_WINDOW) <= self.replies_per_day
        return own and self._count(f"nd:sms:out:{clinic}", 3600) <= self.clinic_replies_per_hour

    def _count(self, key: str, window: int) -> int:
        """A fixed-window counter (EXPIRE NX needs Redis 7; the embedded server is 6.2)."""
        pipe = self.redis.pipeline()
        pipe.set(key, 0, nx=True, ex=window)
        pipe.incr(key)
        return int(pipe.execute()[1])


def textable(caller: str, clinic: str) -> bool:
    """Replies go only to numbers in the clinic's own country code, never to premium numbers."""
    if not (caller.startswith("+") and caller[1:].isdigit() and 8 <= len(caller) <= 16):
        return False
    if clinic.startswith("+1"):
        return caller.startswith("+1") and len(caller) == 12 and not caller.startswith(NANP_PREMIUM)
    return caller[:3] == clinic[:3]  # a rough country-code match outside North America
