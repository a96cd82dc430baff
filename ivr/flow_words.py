"""The named fields the prompts use: the pet, the ER, poison control, what to watch for."""

from __future__ import annotations

from typing import Any

from config.policy import Policy
from ivr import prompts, protocol


def closing_params(
    verdict: dict[str, Any], policy: Policy, *, channel: str, language: str
) -> dict[str, Any]:
    """The named fields the prompts use: the pet, the ER, poison control, what to watch for."""
    name = (verdict.get("patient") or {}).get("name")
    subject = name or prompts.render("subject_pet", language=language)
    pc = policy.poison_control
    return {
        "clinic": policy.name,
        "subject": subject,
        "er_name": policy.er.name,
        "er_address": policy.er.address,
        "er_phone": prompts.phone_for(policy.er.phone, channel, policy.region),
        "pc_name": pc.name,
        "pc_phone": prompts.phone_for(pc.phone, channel, policy.region),
        "watch_for": watch_for_text(verdict, language),
    }


def watch_for_text(verdict: dict[str, Any], language: str) -> str:
    """'vomits blood, or becomes weak': the protocol's signs for this complaint, minus any the
    owner already reported (the closing never tells them to watch for what they said)."""
    signs = [w.say for w in protocol.watch_for(verdict)]
    if not signs:
        return prompts.render("watch_for.default", language=language)
    return signs[0] if len(signs) == 1 else ", ".join(signs[:-1]) + ", or " + signs[-1]
