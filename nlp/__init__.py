"""Nightdesk triage engine: text in, verdict out (no Flask, Redis, SQL or Twilio here)."""

from __future__ import annotations

from .engine import Engine, load_engine
from .hints import speech_hints
from .verdict import Exposure, Onset, Patient, Symptom, Verdict

__all__ = ["Engine", "Exposure", "Onset", "Patient", "Symptom", "Verdict", "load_engine",
           "speech_hints"]  # fmt: skip
