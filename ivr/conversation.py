"""The channel-agnostic triage conversation: a state table and a pure step() function.

An open question first, then only the questions whose topics the engine still lists as unknown,
most serious first; an emergency (red flag, keypad 1) in any turn ends the questioning with ER
guidance in that same reply. Channels (voice, SMS) render the Reply and carry out its actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from config.policy import Policy
from ivr import prompts
from ivr.flow_model import (
    DIGITS,
    HANGUP,
    SILENCE,
    START,
    Conversation,
    ConversationStore,
    Event,
    Prompt,
    Reply,
)
from ivr.flow_words import closing_params

__all__ = [
    "QUESTIONS",
    "TRANSITIONS",
    "Conversation",
    "ConversationStore",
    "Event",
    "Prompt",
    "Reply",
    "new_conversation",
    "step",
]

LOW_CONFIDENCE = 0.5


class TriageEngine(Protocol):
    def analyze(self, turns: list[str], *, now: datetime) -> Any: ...


@dataclass(frozen=True)
class Question:
    state: str
    prompt: str
    topics: frozenset[str]  # the Verdict.unknowns() topics this question fills (with synonyms)


# Most serious first. A question is asked once, and only while one of its topics is unknown.
QUESTIONS: tuple[Question, ...] = (
    Question("species", "ask_species", frozenset({"species_name", "species", "name"})),
    Question("onset", "ask_onset", frozenset({"onset"})),
    Question("eating", "ask_eating", frozenset({"eating_drinking", "eating", "drinking"})),
    Question(
        "toileting",
        "ask_toileting",
        frozenset({"peeing_pooping", "urination", "defecation"}),
    ),
    Question(
        "behaviour",
        "ask_behaviour",
        frozenset({"behaviour", "behavior"}),
    ),
    Question("surgery", "ask_surgery", frozenset({"surgery"})),
)
# Calls about these go straight to the closing (no medical questions) unless something is wrong.
ADMIN_INTENTS = frozenset({"appointment", "refill", "results", "billing", "message_for_doctor"})
ASKING = {"open": "ask_open", **{q.state: q.prompt for q in QUESTIONS}}

# state -> outcome -> next state. "@next" = the next still-unknown question, else "callback";
# "@resume" = the question a confirmation interrupted.
_QUESTION_ROW = {
    "answer": "@next",
    "emergency": "emergency",
    "silence": "@same",
    "silence_again": "keypad",
    "unclear": "confirm",
    "person": "@next",
}
TRANSITIONS: dict[str, dict[str, str]] = {
    "new": {"start": "open"},
    "open": _QUESTION_ROW,
    **{q.state: _QUESTION_ROW for q in QUESTIONS},
    "confirm": {
        "yes": "@resume_answer",
        "no": "@resume",
        "silence": "@resume_answer",
        "emergency": "emergency",
    },
    "keypad": {
        "emergency": "emergency",
        "no_emergency": "callback",
        "silence": "callback",
        "answer": "@next",
        "person": "callback",
        "unclear": "@next",
    },
    "emergency": {"connect": "transfer", "other": "done", "silence": "done"},
    "callback": {"yes": "done", "number": "done", "other": "done", "silence": "done"},
}


def new_conversation(
    *, channel: str, conv_id: str, policy: Policy, caller: str, now: datetime
) -> Conversation:
    return Conversation(
        channel=channel,
        id=conv_id,
        clinic_id=policy.clinic_id,
        caller=caller,
        callback_number=caller,
        language=policy.language,
        started_at=_utc(now).isoformat(),
    )


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class _Step:
    """The working state of one step(): a copy of the conversation plus what to say and do."""

    def __init__(self, conv: Conversation, engine: TriageEngine, policy: Policy, now: datetime):
        self.conv, self.engine, self.policy, self.now = conv, engine, policy, _utc(now)
        self.say: list[Prompt] = []
        self.actions: list[str] = []

    # -- analysis ---------------------------------------------------------------------------
    def analyze(self, extra: str = "") -> None:
        texts = self.conv.caller_texts() + ([extra] if extra else [])
        if not texts:
            return
        verdict = self.engine.analyze(texts, now=self.policy.local(self.now))
        conv = self.conv
        conv.verdict = verdict.to_dict()
        conv.unknowns = list(verdict.unknowns())
        conv.summary = verdict.summary()
        concern = set(getattr(verdict, "caller_concern", None) or [])
        if concern:
            conv.raise_floor(
                "urgent",
                "urgent: the caller "
                + ", ".join(
                    {
                        "says_emergency": "says it is an emergency",
                        "asks_human": "asked for a person",
                        "asks_if_emergency": "asked whether it is an emergency",
                    }.get(c, c)
                    for c in sorted(concern)
                ),
            )

    def answer(self, text: str, confidence: float | None) -> str:
        """Outcome of a spoken answer in a question state."""
        if confidence is not None and confidence < LOW_CONFIDENCE and text:
            self.analyze(extra=text)  # act on danger at once, even before confirming
            if self.conv.disposition == "emergency":
                self.conv.add_turn("caller", text, self.now)
                return "emergency"
            self.conv.pending, self.conv.resume = text, self.conv.state
            return "unclear"
        self.conv.add_turn("caller", text, self.now)
        self.analyze()
        return "emergency" if self.conv.disposition == "emergency" else "answer"

    # -- outcomes -----------------------------------------------------------------------------
    def outcome(self, event: Event) -> str:
        conv, state = self.conv, self.conv.state
        if event.kind == START:
            return "start"
        if event.kind == SILENCE:
            conv.retries += 1
            if state in ASKING and conv.retries >= 2:
                return "silence_again"
            if state == "keypad":
                conv.raise_floor("urgent", "urgent: the caller could not be understood")
            return "silence"
        text = prompts.clean(event.text)
        conv.retries = 0
        lang = conv.language
        if event.kind == DIGITS:
            conv.add_turn("caller", f"[pressed {text}]", self.now, kind=DIGITS)
            if text == "0":
                conv.raise_floor("urgent", "urgent: the caller pressed 0 for a person")
                self.say.append(Prompt("ack_person"))
                return "person"
            if state == "keypad":
                if text == "1":
                    conv.raise_floor(
                        "emergency",
                        "emergency: the caller pressed 1 (breathing, bleeding, collapse or poison)",
                    )
                    return "emergency"
                conv.raise_floor("urgent", "urgent: the caller could not be understood")
                return "no_emergency"
            if state == "confirm":
                return "yes" if text == "1" else "no"
            if state == "emergency":
                return "connect" if text == "1" else "other"
            if state == "callback":
                return self.new_number(text)
            return "answer"
        # speech
        if state == "confirm":
            if len(text.split()) > 3:  # not a yes or no: a fresh answer replaces what we heard
                conv.pending = text
                return "yes"
            return "no" if prompts.says(text, "no", language=lang) else "yes"
        if state == "emergency":
            conv.add_turn("caller", text, self.now)
            return "connect" if prompts.says(text, "connect", language=lang) else "other"
        if state == "callback":
            conv.add_turn("caller", text, self.now)
            return self.new_number(text) if len(prompts.digits_of(text)) >= 10 else "yes"
        return self.answer(text, event.confidence)

    def new_number(self, text: str) -> str:
        d = prompts.digits_of(text)
        if len(d) == 10:
            d = "1" + d
        if len(d) == 11:
            self.conv.callback_number = "+" + d
            return "number"
        return "yes" if d == "1" else "other"

    # -- targets ----------------------------------------------------------------------------
    def next_question(self) -> str:
        conv = self.conv
        if conv.verdict.get("intent") in ADMIN_INTENTS and conv.disposition == "routine":
            return "callback"
        unknown = set(conv.unknowns)
        for q in QUESTIONS:
            if q.state not in conv.asked and q.topics & unknown:
                return q.state
        return "callback"

    def resolve(self, target: str) -> str:
        conv = self.conv
        if target == "@next":
            return self.next_question()
        if target == "@same":
            self.say.append(Prompt("reprompt"))
            return conv.state
        if target in ("@resume", "@resume_answer"):
            pending, resume = conv.pending, conv.resume or "open"
            conv.pending = conv.resume = ""
            conv.state = resume
            if target == "@resume":
                self.say.append(Prompt("try_again"))
                conv.asked = [s for s in conv.asked if s != resume]
                return resume
            conv.add_turn("caller", pending, self.now)
            self.analyze()
            return "emergency" if conv.disposition == "emergency" else self.next_question()
        return target


def step(
    conversation: Conversation, event: Event, *, engine: TriageEngine, policy: Policy, now: datetime
) -> Reply:
    """Advance the conversation by one caller event; the input is not modified."""
    st = _Step(conversation.copy(), engine, policy, now)
    conv = st.conv
    conv.turn_no += 1
    if event.kind == HANGUP:
        if conv.pending:
            conv.add_turn("caller", conv.pending, st.now)
            conv.pending = ""
            st.analyze()
        conv.done, conv.ended_reason = True, conv.ended_reason or "hangup"
        return Reply(conv, [], actions=["file_ticket"])
    if conv.done:
        return Reply(conv, [Prompt("goodbye")], actions=["hangup"])
    before = conv.state
    target = st.resolve(TRANSITIONS[conv.state].get(st.outcome(event), "@next"))
    if target != before or target not in ASKING:
        conv.retries = 0 if target != before else conv.retries
    conv.state = target
    return _enter(st, target)


def _enter(st: _Step, state: str) -> Reply:
    """The reply on entering `state` (its statements, question and actions)."""
    conv, policy = st.conv, st.policy
    params = _params(conv, policy, st.now)
    if state == "open" and conv.turn_no == 1:
        greet = (
            Prompt("custom_greeting", {"text": policy.greeting})
            if policy.greeting
            else Prompt("greeting", {"clinic": policy.name})
        )
        st.say.insert(0, greet)
    if state in ASKING:
        if state not in conv.asked:
            conv.asked.append(state)
        return _ask(st, Prompt(ASKING[state], params), "speech")
    if state == "confirm":
        return _ask(st, Prompt("confirm_heard", {"heard": conv.pending}), "speech")
    if state == "keypad":
        return _ask(st, Prompt("ask_keypad"), "digits")
    if state == "emergency":
        st.say.append(Prompt("er_guidance", params))
        if "toxin" in (conv.verdict.get("red_flags") or []):
            st.say.append(Prompt("poison_control", params))
        st.actions += ["file_ticket", "send_er_sms", "page_on_call", "offer_transfer"]
        if conv.channel != "voice":
            conv.done, conv.ended_reason = True, "completed"
            return Reply(conv, st.say, actions=st.actions)
        return _ask(st, Prompt("offer_connect", params), "speech")
    if state == "transfer":
        conv.done, conv.ended_reason = True, "transfer"
        return Reply(
            conv, [Prompt("connecting")], actions=["file_ticket", "transfer"], dial=policy.er.phone
        )
    if state == "callback" and conv.channel == "voice":
        return _ask(st, Prompt("confirm_callback", {"last4": conv.caller[-4:]}), "number")
    if state == "done" and conv.disposition == "emergency":
        conv.done, conv.ended_reason = True, "completed"
        return Reply(conv, st.say + [Prompt("er_sent")], actions=["file_ticket", "hangup"])
    # the closing: when the clinic calls back, and what would make it an emergency
    conv.state, conv.done, conv.ended_reason = "done", True, "completed"
    due = policy.callback_due(conv.disposition, st.now)
    when = prompts.when_phrase(policy.local(due), policy.local(st.now), language=conv.language)
    st.say += [
        Prompt("callback_promise", {**params, "when": when}),
        Prompt("escalate_advice", params),
        Prompt("goodbye"),
    ]
    return Reply(conv, st.say, actions=["file_ticket", "hangup"])


def _ask(st: _Step, question: Prompt, expects: str) -> Reply:
    conv = st.conv
    conv.add_turn(
        "line",
        prompts.render(question.key, question.params, channel=conv.channel, language=conv.language),
        st.now,
        kind="prompt",
    )
    return Reply(conv, st.say, ask=question, expects=expects, actions=st.actions)


def _params(conv: Conversation, policy: Policy, now: datetime) -> dict[str, Any]:
    return closing_params(conv.verdict, policy, channel=conv.channel, language=conv.language)
