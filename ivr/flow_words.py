"""The named fields the prompts use: the pet, the ER, poison control, what to watch for."""

from __future__ import annotations

from typing import Any

from config.policy import Policy
from ivr import prompts


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
        "er_phone": prompts.phone_for(policy.er.phone, channel),
        "pc_name": pc.name,
        "pc_phone": prompts.phone_for(pc.phone, channel),
        "watch_for": prompts.render(watch_for_key(verdict), language=language),
    }


def watch_for_key(verdict: dict[str, Any]) -> str:
    codes = [
        s.get("code")
        for s in verdict.get("symptoms") or []
        if isinstance(s, dict) and not s.get("negated")
    ]
    groups = {
        "vomiting": "vomiting",
        "retching": "vomiting",
        "diarrhea": "diarrhea",
        "straining_to_urinate": "urinary",
        "frequent_urination": "urinary",
        "blood_in_urine": "urinary",
        "wound": "wound",
        "incision_problem": "incision",
        "not_eating": "not_eating",
    }
    for code in codes:
        if code in groups:
            return "watch_for." + groups[code]
    return "watch_for.default"
