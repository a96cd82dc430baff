"""The channel-agnostic triage conversation: one table of states and a pure step() function.

The owner's own story first; then, like a triage nurse, the line confirms any red flag it only
suspects (one direct question) and asks about every red flag not yet ruled out (the screens of
ivr/protocol.yaml, the complaint's first); the first "yes" gives ER guidance in that same reply.
Only then the details a callback needs. Channels (voice, SMS) render the Reply and carry out its
actions. Flask-free: the web app, the jobs and `policy explain` all use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from config import phones
from config.policy import Policy
from ivr import prompts
from ivr import protocol as protocol_file
from ivr.answers import (
    after_the_no,
    answer_kind,
    asks_person,
    harmless,
    minimal,
    past_only,
    says_no,
)
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
from nlp.evidence import FLAG_OF

__all__ = [
    "ASKING",
    "TABLE",
    "TRANSITIONS",
    "Conversation",
    "ConversationStore",
    "Event",
    "Prompt",
    "Reply",
    "State",
    "closing_params",
    "new_conversation",
    "question_of",
    "step",
]

LOW_CONFIDENCE = 0.5
MAX_HEARD = 16_000  # characters of one answer the engine reads (the whole of any real turn)


class TriageEngine(Protocol):
    def analyze(
        self, turns: list[str], *, now: datetime, denied: Mapping[str, int] | None = ...
    ) -> Any: ...


@dataclass(frozen=True)
class State:
    """One row of the table: what it says, what it listens for, how it reads the answer, where
    each outcome goes ("@route" = the protocol's next step), and what entering it triggers."""

    says: str
    listens: str  # speech | digits | number | none
    reads: str  # story | screen | verify | heard | keypad | connect | callback | -
    goes: dict[str, str]
    triggers: tuple[str, ...] = ()


_ASK = {"answer": "@route", "silence": "@same", "silence_again": "keypad", "unclear": "heard"}
TABLE: dict[str, State] = {
    "new": State("greeting", "none", "-", {"start": "open"}),
    "open": State("ask_open", "speech", "story", _ASK),
    "species": State("ask_species", "speech", "story", _ASK),
    "screen": State("protocol: the screen's question", "speech", "screen", _ASK),
    "verify": State(
        "protocol: the red flag's confirmation", "speech", "verify", {**_ASK, "silence": "@route"}
    ),  # fmt: skip
    "onset": State("ask_onset", "speech", "story", _ASK),
    "surgery": State("ask_surgery", "speech", "story", _ASK),
    "heard": State(
        "confirm_heard",
        "speech",
        "heard",
        {"yes": "@resume_answer", "no": "@resume", "silence": "@resume_answer"},
    ),
    "keypad": State(
        "ask_keypad",
        "digits",
        "keypad",
        {
            "emergency": "emergency",
            "no_emergency": "callback",
            "silence": "callback",
            "answer": "@route",
            "unclear": "@route",
        },
    ),  # fmt: skip
    "emergency": State(
        "er_guidance",
        "speech",
        "connect",
        {"connect": "transfer", "other": "done", "silence": "done"},
        ("file_ticket", "send_er_sms", "page_on_call", "offer_transfer"),
    ),
    "transfer": State("connecting", "none", "-", {}, ("file_ticket", "transfer")),
    "callback": State(
        "confirm_callback",
        "number",
        "callback",
        {"yes": "done", "number": "done", "other": "done", "silence": "done"},
    ),
    "done": State("callback_promise", "none", "-", {}, ("file_ticket", "hangup")),
}
ASKING = {name: row.says for name, row in TABLE.items() if row.listens == "speech"}
ASKING.pop("emergency")
TRANSITIONS = {name: row.goes for name, row in TABLE.items()}
SURGERY_SIGNS = frozenset({"wound", "incision_problem", "swelling", "bleeding", "vomiting"})


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


AGENT_FLAGS = frozenset({"toxin", "foreign_body"})  # raised by what was eaten, not by a sign


class _Step:
    """The working state of one step(): a copy of the conversation plus what to say and do."""

    def __init__(
        self,
        conv: Conversation,
        engine: TriageEngine,
        policy: Policy,
        now: datetime,
        pages_tonight: Callable[[], int] | None = None,
    ):
        self.conv, self.engine, self.policy, self.now = conv, engine, policy, _utc(now)
        self.pages_tonight = pages_tonight or (lambda: 0)  # read only when a page is weighed
        self.protocol = protocol_file.load()
        self.say: list[Prompt] = []
        self.actions: list[str] = []
        self._alone: dict[str, Any] = {}  # one answer's own verdict, read by several checks
        self.clear: list[str] = []  # red flags to act on now
        self.doubtful: list[str] = []  # red flags to confirm first

    # -- analysis ---------------------------------------------------------------------------
    def analyze(self) -> None:
        """Run every caller turn through the engine; weigh its red flags against the answers."""
        conv = self.conv
        texts = conv.caller_texts()
        if not texts:
            return
        local = self.policy.local(self.now)
        # the words said up to each "no" that raised a red flag no longer count; later ones do
        verdict = self.engine.analyze(texts, now=local, denied=dict(conv.ruled_out))
        raw = verdict.to_dict()
        conv.unknowns = list(verdict.unknowns())
        conv.summary = verdict.summary()
        self._weigh(raw)
        conv.verdict = raw
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
        self._worse(texts)

    def _weigh(self, raw: dict[str, Any]) -> None:
        """The engine's red flags against the answers: confirmed ones count, doubtful ones wait
        for their question, one the caller denied stays denied unless clear words raise it."""
        conv = self.conv
        strength = {e["code"]: e["strength"] for e in raw.get("red_flag_evidence") or []}
        clear: list[str] = []
        doubtful: list[str] = []
        for code in raw.get("red_flags") or []:
            if code in conv.affirmed:
                clear.append(code)
            elif code in conv.ruled_out and strength.get(code) == "doubtful":
                pass  # denied when asked, and raised again only by doubtful words: one question
            elif strength.get(code) == "doubtful":
                doubtful.append(code)
            else:
                clear.append(code)
        clear += [c for c in conv.affirmed if c not in clear]
        self.clear, self.doubtful = clear, doubtful
        raw["engine_disposition"] = raw.get("disposition", "routine")
        raw["red_flags"] = clear or doubtful
        if clear or doubtful:  # a doubtful red flag still files as an emergency if the call ends
            raw["disposition"] = "emergency"
        else:
            raw["disposition"] = raw.get("fallback") or raw.get("disposition") or "routine"
            if raw["disposition"] == "emergency":
                raw["disposition"] = "urgent"  # every red flag ruled out: never below urgent
        if conv.affirmed:
            raw["reasons"] = list(raw.get("reasons") or []) + [
                f"emergency: {why} [screen.{code}]" for code, why in conv.affirmed.items()
            ]

    def _worse(self, texts: list[str]) -> None:
        """A sign the closing named ("if she vomits blood, go to the ER") reported afterwards."""
        conv = self.conv
        if not conv.watch or not texts:
            return
        latest = self.alone(texts[-1])
        said = {s.code for s in latest.symptoms if not s.negated}
        hit = sorted(said & set(conv.watch))
        if hit:
            conv.raise_floor(
                "emergency",
                f"emergency: the caller now reports {hit[0].replace('_', ' ')}, "
                "a sign the line said needs the ER [worse]",
            )

    def alone(self, text: str) -> Any:
        """What one answer says on its own (computed once per step)."""
        got = self._alone.get(text)
        if got is None:
            got = self._alone[text] = self.engine.analyze([text], now=self.policy.local(self.now))
        return got

    @property
    def emergency(self) -> bool:
        return bool(self.clear) or self.conv.floor == "emergency"

    def hear(self, text: str, kind: str = "speech") -> None:
        self.conv.add_turn("caller", text, self.now, kind=kind)

    def callers(self) -> int:
        return len(self.conv.caller_texts())

    # -- reading answers --------------------------------------------------------------------
    def outcome(self, event: Event) -> str:
        conv, state = self.conv, self.conv.state
        row = TABLE[state]
        if event.kind == START:
            return "start"
        if event.kind == SILENCE:
            conv.retries += 1
            if state == "verify":  # no answer to "did he really ...?" counts as yes
                self._affirm(conv.confirming, "no answer when asked to confirm")
                return "silence"
            if state in ASKING and conv.retries >= 2:
                return "silence_again"
            if state == "keypad":
                conv.raise_floor("urgent", "urgent: the caller could not be understood")
            return "silence"
        text = prompts.clean(event.text, limit=MAX_HEARD)
        conv.retries = 0
        lang = conv.language
        if event.kind == DIGITS:
            return self.digits(text, state)
        if row.reads == "heard":
            if len(text.split()) > 3:  # not a yes or no: a fresh answer replaces what we heard
                conv.pending = text
                return "yes"
            return "no" if prompts.says(text, "no", language=lang) else "yes"
        if row.reads == "connect":
            self.hear(text)
            return "connect" if prompts.says(text, "connect", language=lang) else "other"
        if row.reads == "callback":
            self.hear(text)
            return self.new_number(text) if len(prompts.digits_of(text)) >= 10 else "yes"
        if event.confidence is not None and event.confidence < LOW_CONFIDENCE:
            self.hear(text)  # act on danger at once, even before confirming what we heard
            self.analyze()
            if self.emergency:
                return "answer"
            conv.turns.pop()
            self.analyze()
            conv.pending, conv.resume = text, state
            return "unclear"
        return self.answer(text, row.reads)

    def digits(self, text: str, state: str) -> str:
        conv = self.conv
        self.hear(f"[pressed {text}]", kind=DIGITS)
        if text == "0" and state not in ("keypad", "emergency", "callback", "heard"):
            self.person()
            return "person"
        if text == "9" and state in ASKING:
            conv.raise_floor("urgent", "urgent: the caller asked to be connected to the ER")
            conv.state = "emergency"
            return "connect_er"
        if state == "keypad":
            if text == "1":
                conv.raise_floor(
                    "emergency",
                    "emergency: the caller pressed 1 (breathing, bleeding, collapse or poison)",
                )
                return "emergency"
            conv.raise_floor("urgent", "urgent: the caller could not be understood")
            return "no_emergency"
        if state == "heard":
            return "yes" if text == "1" else "no"
        if state == "emergency":
            return "connect" if text == "1" else "other"
        if state == "callback":
            return self.new_number(text)
        return "answer"

    def answer(self, text: str, reads: str) -> str:
        """A spoken or texted answer to the open question, a screen, or a confirmation."""
        conv = self.conv
        self.hear(text)
        self.analyze()
        if self._asks_person(text):
            self.person()
            if reads in ("screen", "verify") and conv.person_asks <= 2:
                return "person_again"  # the question was not answered: ask it again
        if reads == "screen":
            self._read_screen(text)
        elif reads == "verify":
            self._read_verify(text)
        return "answer"

    def _asks_person(self, text: str) -> bool:
        if asks_person(text, language=self.conv.language):
            return True
        one = self.alone(text)
        return "asks_human" in (getattr(one, "caller_concern", None) or [])

    def _said_alone(self, text: str) -> list[str]:
        """The red flags this one answer raises on its own."""
        one = self.alone(text)
        return list(one.red_flags)

    def _only_objects(self, text: str) -> bool:
        """'just the sock': an answer naming a swallowed object and no poison. The engine
        decides it (a swallowed object is an emergency only with signs), not a bare yes."""
        kinds = {e.kind for e in self.alone(text).exposures}
        if not kinds:  # "a whole sock": the object was named earlier, with its verb
            kinds = {e.get("kind") for e in self.conv.verdict.get("exposures") or []}
        return kinds == {"object"}

    def _read_screen(self, text: str) -> None:
        conv = self.conv
        screen = self.protocol.screens[conv.screen]
        if screen.id not in conv.screened:
            conv.screened.append(screen.id)
        lang = conv.language
        kind = answer_kind(text, language=lang)
        if kind == "story" and harmless(text, language=lang):
            kind = "no"  # "just the cat flea drops, like the box says"
        if kind == "story" and "toxin" in screen.red_flags and self._only_objects(text):
            kind = "told"  # the engine reads the object and its signs
        if kind == "no" and screen.talks_about(after_the_no(text, language=lang)):
            kind = "story"  # "no, ... oh yeah he sits in there pushing": a no that says yes
        if kind == "yes" and screen.bare_yes == "confirm":
            kind = "story"  # a yes to a question of several signs: which one? confirm it
        raised = [c for c in self._said_alone(text) if c in screen.red_flags]
        if raised and kind != "unsure":  # "nothing comes out": words beat a leading "no"
            for code in raised:  # the owner's own words, in answer to a direct question
                self._affirm(code, f"asked, the caller said '{prompts.clean(text, 80)}'")
        elif kind == "no":
            raised_before = set(conv.verdict.get("red_flags") or [])
            for code in screen.red_flags:
                conv.ruled_out[code] = self.callers()
            if raised_before & set(screen.red_flags):
                self.analyze()  # words behind a now-denied red flag: weigh again without them
        elif kind == "yes":
            self._affirm(screen.red_flags[0], f"the caller said yes when asked ({screen.id})")
        elif kind == "story" and screen.story == "confirm" and screen.talks_about(text):
            code = self._code_for(text, screen)
            if code not in conv.affirmed and code not in conv.ruled_out:
                self.doubtful = [*self.doubtful, code]
                conv.verdict.setdefault("red_flag_evidence", []).append(
                    {"code": code, "strength": "doubtful", "text": prompts.clean(text, 80),
                     "why": "an answer that is neither yes nor no"}
                )  # fmt: skip

    def _code_for(self, text: str, screen: protocol_file.Screen) -> str:
        """The red flag an answer's own signs point to ('drags his back legs': neuro), the
        screen's first when they point nowhere."""
        flags = [
            FLAG_OF[s.code]
            for s in self.alone(text).symptoms
            if not s.negated and s.code in FLAG_OF
        ]
        inside = [f for f in flags if f in screen.red_flags]
        return (inside or flags or [screen.red_flags[0]])[0]

    def _read_verify(self, text: str) -> None:
        conv = self.conv
        code = conv.confirming
        kind = answer_kind(text, language=conv.language)
        if kind == "story" and harmless(text, language=conv.language):
            kind = "no"
        screen = self.protocol.screen_for(code) if code else None
        alone = self.alone(text)
        plain = any(e.code == code and e.strength == "clear" for e in alone.red_flag_evidence)
        if plain:
            kind = "yes"  # the answer says it plainly
        elif (
            kind == "story"
            and minimal(text, language=conv.language)
            and past_only(text, language=conv.language)
        ):
            kind = "no"  # "just that one on friday, nothing since": made small and put in the past
        elif (
            kind == "story"
            and minimal(text, language=conv.language)
            and code not in AGENT_FLAGS
            and any(FLAG_OF.get(s.code) == code for s in alone.symptoms)
        ):
            kind = "no"  # "a tiny scrape on her nose", "a bit sore": the sign made small, and the
            # engine does not find the red flag plainly in the answer ("just the one sock" names
            # the object itself: that is a yes, so poisons and objects are not read this way)
        elif (
            kind == "no"
            and screen is not None
            and screen.talks_about(after_the_no(text, language=conv.language))
        ):
            kind = "story"  # "no ... oh yeah he sits in there pushing"
        if kind == "story" and says_no(text, language=conv.language) and len(text.split()) <= 6:
            kind = "no"  # "a bit sore, no": a short no, with a detail
        # only where severity decides (protocol.yaml milder_is_no): a fight with wounds is
        # trauma however the owner puts it
        weighed = code in self.protocol.milder_is_no and any(
            FLAG_OF.get(s.code) == code for s in alone.symptoms
        )
        if kind == "story" and weighed:
            # the engine reads the answer ("pee comes out, not really straining", "a bit sore
            # on the lip") and finds no red flag in it: a described sign, not a confused answer
            kind = "no"
        if kind == "no":
            conv.ruled_out[code] = self.callers()
            self.analyze()
        else:  # yes, "I don't know", or an answer that is neither: it counts as yes
            self._affirm(code, f"confirmed ('{prompts.clean(text, 80)}')")
        conv.confirming = ""

    def _affirm(self, code: str, why: str) -> None:
        if code and code not in self.conv.affirmed:
            self.conv.affirmed[code] = why
        self.analyze()

    def person(self) -> None:
        """Asked for a person: acknowledged every time, handled by the clinic's paging rules."""
        conv, policy = self.conv, self.policy
        conv.person_asks += 1
        conv.raise_floor("urgent", "urgent: the caller asked for a person")
        flags = conv.verdict.get("flags") or []
        decision = policy.page_decision(
            conv.disposition, flags, conv.caller, self.now, self.pages_tonight()
        )  # the nightly limit as the filing job will see it: the line promises what it does
        params = _params(conv, policy)
        if decision.page:  # the ticket is filed now, and its filing job pages
            self.say.append(Prompt("ack_person_vet", params))
            self.actions += [a for a in ("file_ticket", "page_on_call") if a not in self.actions]
        else:
            due = policy.callback_due(conv.disposition, self.now)
            when = prompts.when_phrase(
                policy.local(due), policy.local(self.now), language=conv.language
            )
            self.say.append(Prompt("ack_person", {**params, "when": when}))

    def new_number(self, text: str) -> str:
        number = phones.callback_number(text, self.policy.region)  # the clinic's country only
        if number:
            self.conv.callback_number = number
            return "number"
        return "yes" if prompts.digits_of(text) == "1" else "other"

    # -- where next ---------------------------------------------------------------------------
    def route(self) -> str:
        """The protocol's next step: ER, a confirmation, a screen, a detail, or the closing."""
        conv = self.conv
        if self.emergency:
            return "emergency"
        doubtful = [c for c in self.doubtful if c not in conv.affirmed and c not in conv.ruled_out]
        if doubtful:
            conv.confirming = doubtful[0]
            return "verify"
        verdict = conv.verdict
        symptoms = [s["code"] for s in verdict.get("symptoms") or [] if not s.get("negated")]
        unknown = set(conv.unknowns)
        if "species_name" in unknown and "species" not in conv.asked:
            return "species"
        words = {w for t in conv.caller_texts() for w in re.findall(r"[a-z']+", t.lower())}
        for screen in self.protocol.ordered(symptoms, verdict.get("species")):
            if screen.id in conv.screened or all(f in conv.ruled_out for f in screen.red_flags):
                continue
            if not screen.applies(verdict.get("flags") or [], symptoms, words):
                continue
            conv.screen = screen.id
            return "screen"
        if ({"onset", "eating_drinking"} & unknown) and "onset" not in conv.asked:
            return "onset"
        relevant = SURGERY_SIGNS & set(symptoms)
        if relevant and "surgery" in unknown and "surgery" not in conv.asked:
            return "surgery"
        return self.closing()

    def closing(self) -> str:
        return "callback" if self.conv.channel == "voice" else "done"

    def resolve(self, target: str) -> str:
        conv = self.conv
        if target == "@route":
            return self.route()
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
            self.answer(pending, TABLE[resume].reads)
            return self.route()
        return target


def step(
    conversation: Conversation,
    event: Event,
    *,
    engine: TriageEngine,
    policy: Policy,
    now: datetime,
    pages_tonight: Callable[[], int] | None = None,
) -> Reply:
    """Advance the conversation by one caller event; the input is not modified.

    `pages_tonight` counts the clinic's pages tonight, asked only when a caller's request for a
    person is weighed against the policy's nightly limit (none given: 0)."""
    st = _Step(conversation.copy(), engine, policy, now, pages_tonight)
    conv = st.conv
    conv.turn_no += 1
    if event.kind == HANGUP:
        if conv.pending:
            st.hear(conv.pending)
            conv.pending = ""
            st.analyze()
        conv.done, conv.ended_reason = True, conv.ended_reason or "hangup"
        return Reply(conv, [], actions=["file_ticket"])
    if conv.done:
        return Reply(conv, [Prompt("goodbye")], actions=["hangup"])
    before = conv.state
    outcome = st.outcome(event)
    if outcome == "connect_er":
        target = "transfer"
    elif outcome == "person":
        target = conv.state if conv.state in ASKING else "@route"
        target = st.resolve(target)
    elif outcome == "person_again":
        target = conv.state
        conv.asked = [s for s in conv.asked if s != target]
    else:
        target = st.resolve(TABLE[conv.state].goes.get(outcome, "@route"))
    if target != before or target not in ASKING:
        conv.retries = 0 if target != before else conv.retries
    conv.state = target
    mark = len(conv.turns)
    reply = _enter(st, target)
    said = [  # what the line says is in the transcript too (ER guidance, the closing ...)
        {"at": st.now.isoformat(), "role": "line", "channel": conv.channel, "kind": p.key,
         "text": prompts.render(p.key, p.params, channel=conv.channel, language=conv.language)}
        for p in reply.say
    ]  # fmt: skip
    ask_turns = conv.turns[mark:]
    conv.turns[mark:] = said + ask_turns
    return reply


def _enter(st: _Step, state: str) -> Reply:
    """The reply on entering `state` (its statements, question and actions)."""
    conv, policy = st.conv, st.policy
    params = _params(conv, policy)
    if state == "open" and conv.turn_no == 1:
        greet = (
            Prompt("custom_greeting", {"text": policy.greeting})
            if policy.greeting
            else Prompt("greeting", {"clinic": policy.name})
        )
        st.say.insert(0, greet)
    if state == "screen":
        conv.asked.append(f"screen.{conv.screen}")
        return _ask(st, Prompt(f"screen.{conv.screen}", params), "speech")
    if state == "verify":
        words = _evidence_words(conv, conv.confirming)
        key = st.protocol.confirm_key(conv.confirming)
        return _ask(st, Prompt(key, {**params, "words": words}), "speech")
    if state == "heard":
        return _ask(
            st, Prompt("confirm_heard", {"heard": prompts.clean(conv.pending, 200)}), "speech"
        )
    if state in ASKING:
        if state not in conv.asked:
            conv.asked.append(state)
        return _ask(st, Prompt(ASKING[state], params), "speech")
    if state == "keypad":
        return _ask(st, Prompt("ask_keypad"), "digits")
    if state == "emergency":
        if conv.er_given:  # said once already in this call or thread: a short reminder
            st.say.append(Prompt("er_reminder", params))
            st.actions.append("file_ticket")
        else:
            conv.er_given = True
            st.say.append(Prompt("er_guidance", params))
            if "toxin" in (conv.verdict.get("red_flags") or []):
                st.say.append(Prompt("poison_control", params))
            st.actions += [a for a in TABLE["emergency"].triggers if a not in st.actions]
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
    conv.watch = sorted(protocol_file.watch_codes(conv.verdict))
    due = policy.callback_due(conv.disposition, st.now)
    when = prompts.when_phrase(policy.local(due), policy.local(st.now), language=conv.language)
    st.say += [
        Prompt("callback_promise", {**params, "when": when}),
        Prompt("escalate_advice", params),
        Prompt("goodbye"),
    ]
    return Reply(conv, st.say, actions=["file_ticket", "hangup"])


def question_of(conv: Conversation, policy: Policy) -> Prompt | None:
    """The question the conversation is waiting on (to repeat it), None when it is not asking."""
    if conv.done or conv.state not in ASKING:
        return None
    params = _params(conv, policy)
    if conv.state == "screen":
        return Prompt(f"screen.{conv.screen}", params)
    if conv.state == "verify":
        words = _evidence_words(conv, conv.confirming)
        return Prompt(protocol_file.load().confirm_key(conv.confirming), {**params, "words": words})
    return Prompt(ASKING[conv.state], params)


def _evidence_words(conv: Conversation, code: str) -> str:
    for e in conv.verdict.get("red_flag_evidence") or []:
        if e.get("code") == code and e.get("text"):
            return prompts.clean(str(e["text"]), 80)
    return code.replace("_", " ")


def _ask(st: _Step, question: Prompt, expects: str) -> Reply:
    conv = st.conv
    conv.add_turn(
        "line",
        prompts.render(question.key, question.params, channel=conv.channel, language=conv.language),
        st.now,
        kind="prompt",
    )
    return Reply(conv, st.say, ask=question, expects=expects, actions=st.actions)


def _params(conv: Conversation, policy: Policy) -> dict[str, Any]:
    return closing_params(conv.verdict, policy, channel=conv.channel, language=conv.language)
