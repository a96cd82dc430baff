"""A dry run of the policy for one caller: what the line would do, and why (CLI and dashboard)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from config.policy import Policies, Policy

if TYPE_CHECKING:
    from nlp import Engine


class UnknownNumber(LookupError):
    """No clinic of this deployment has the called number."""


@dataclass
class Explanation:
    clinic_id: str
    clinic: str
    at: datetime  # clinic time
    open: bool
    closed_reason: str | None
    next_open: datetime | None
    disposition: str
    reasons: list[str]
    red_flags: list[str]
    flags: list[str]
    caller_hears: list[str]
    page: bool
    page_reason: str
    paged: str | None  # "Dr. Ana Reyes (…0142)": a name and the last digits, never a full number
    backup: str | None
    ack_minutes: int
    due: datetime | None
    on_call_until: datetime | None = None
    verdict: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("at", "next_open", "due", "on_call_until"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    def lines(self) -> list[str]:
        state = "open" if self.open else "closed"
        if self.closed_reason:
            state += f" ({self.closed_reason})"
        if not self.open:
            state += f"; opens {_when(self.next_open)}" if self.next_open else "; no opening hours"
        out = [
            f"Clinic:       {self.clinic} ({self.clinic_id})",
            f"Time:         {_when(self.at)}",
            f"Clinic is:    {state}",
            f"Disposition:  {self.disposition.upper()}",
        ]
        out += [f"  because     {r}" for r in self.reasons] or ["  because     (no rule fired)"]
        if self.flags:
            out.append(f"  flags       {', '.join(self.flags)}")
        out.append("Caller hears:")
        out += [f"  “{s}”" for s in self.caller_hears]
        if self.page:
            until = f", on call until {_when(self.on_call_until)}" if self.on_call_until else ""
            out.append(f"Page:         YES → {self.paged}{until}")
            out.append(f"  why         {self.page_reason}")
            backup = self.backup or "nobody (no backup set)"
            out.append(f"  no reply 1 within {self.ack_minutes} min → backup {backup}")
        else:
            out.append("Page:         no")
            out.append(f"  why         {self.page_reason}")
        out.append(f"Ticket due:   {_when(self.due) if self.due else '-'}")
        return out


def _when(at: datetime) -> str:
    return at.strftime("%a %Y-%m-%d %H:%M %Z")


def _mask(phone: str) -> str:
    return "…" + phone[-4:]


def caller_sentences(policy: Policy, text: str, at: datetime, engine: Engine) -> list[str]:
    """What the line says after hours, by the line's own step(): the caller says `text`, then
    answers no to every further question (an owner who rules out each red flag)."""
    from ivr import prompts
    from ivr.conversation import Event, new_conversation, step

    conv = new_conversation(
        channel="voice", conv_id="explain", policy=policy, caller="+10000000000", now=at
    )
    heard: list[str] = []
    for event in [Event("start"), Event.speech(text), *[Event.speech("no")] * 15]:
        if event.text:
            heard.append(f"(caller: {prompts.clean(event.text, 80)})")
        reply = step(conv, event, engine=engine, policy=policy, now=at)
        conv = reply.conversation
        lang = conv.language
        heard += [prompts.render(p.key, p.params, language=lang) for p in reply.prompts]
        if conv.done or conv.state == "emergency":
            break
    return heard


def explain(
    policies: Policies,
    text: str,
    at: datetime,
    to: str | None = None,
    *,
    caller: str | None = None,
    pages_tonight: int = 0,
    engine: Engine | None = None,
) -> Explanation:
    """What the line would do for `text` said at `at` to the number `to` (default clinic)."""
    policy = policies.for_number(to) if to else policies.default
    if policy is None:
        raise UnknownNumber(f"no clinic has the number {to}")
    if engine is None:
        from nlp import load_engine

        engine = load_engine()
    local = policy.local(at)
    verdict = engine.triage(text, now=local.replace(tzinfo=None))
    disposition = verdict.disposition
    is_open = policy.is_open(at)
    due = policy.callback_due(disposition, at)
    if is_open:
        hears = [f"(the call goes straight to the front desk, {policy.front_desk or policy.phone})"]
    else:
        hears = caller_sentences(policy, text, at, engine)
    decision = policy.page_decision(disposition, verdict.flags, caller, at, pages_tonight)
    on_call = policy.on_call(at)
    backup = on_call.backup
    return Explanation(
        clinic_id=policy.clinic_id,
        clinic=policy.name,
        at=local,
        open=is_open,
        closed_reason=policy.closed_reason(at),
        next_open=None if is_open else policy.next_open(at),
        disposition=disposition,
        reasons=list(verdict.reasons),
        red_flags=list(verdict.red_flags),
        flags=list(verdict.flags),
        caller_hears=hears,
        page=decision.page,
        page_reason=decision.reason,
        paged=f"{on_call.primary.name} ({_mask(on_call.primary.phone)})" if decision.page else None,
        backup=f"{backup.name} ({_mask(backup.phone)})" if backup and decision.page else None,
        ack_minutes=policy.ack_minutes,
        due=due,
        on_call_until=on_call.until,
        verdict=verdict.to_dict(),
    )
