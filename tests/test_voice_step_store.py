"""The webhook step store on a real Redis: replayed answers, first commit wins, compare-and-set."""

from __future__ import annotations

import pytest
from redis import Redis

from ivr.flow_model import Conversation
from ivr.step_store import UNCHECKED, Conflict, StepStore


def _conv(sid: str = "CA1", **kw: object) -> Conversation:
    return Conversation(channel="voice", id=sid, clinic_id="maple", caller="+15555550123", **kw)  # type: ignore[arg-type]


def test_a_new_call_has_nothing_stored(redis: Redis) -> None:
    peek = StepStore(redis, 60).peek("voice", "CA1", "start")
    assert peek.answer is None and peek.conversation is None and peek.version == ""


def test_the_first_commit_of_a_step_wins_and_a_duplicate_gets_its_answer(redis: Redis) -> None:
    store = StepStore(redis, 60)
    assert store.commit(_conv(state="open"), "start", "<Response>first</Response>") is None
    again = store.commit(_conv(state="emergency"), "start", "<Response>second</Response>")
    assert again == "<Response>first</Response>"
    peek = store.peek("voice", "CA1", "start")
    assert peek.answer == "<Response>first</Response>"
    stored = store.peek("voice", "CA1", "turn1").conversation
    assert stored is not None and stored.state == "open"  # the duplicate changed nothing
    assert 0 < redis.ttl("nd:conv:voice:CA1") <= 60


def test_a_step_on_a_conversation_that_moved_on_is_a_conflict(redis: Redis) -> None:
    store = StepStore(redis, 60)
    store.commit(_conv(state="open", turn_no=1), "start", "<Response/>")
    turn = store.peek("voice", "CA1", "turn1")
    status = store.peek("voice", "CA1", "status:completed")
    assert turn.version == status.version != ""
    assert turn.conversation is not None and status.conversation is not None
    hung_up = status.conversation
    hung_up.done, hung_up.call_status = True, "completed"
    assert store.commit(hung_up, "status:completed", "<Response/>", version=status.version) is None
    moved = turn.conversation
    moved.turn_no = 2
    with pytest.raises(Conflict):
        store.commit(moved, "turn1", "<Response>q</Response>", version=turn.version)
    assert store.peek("voice", "CA1", "turn1").answer is None  # not marked answered either
    fresh = store.peek("voice", "CA1", "turn1")
    assert fresh.conversation is not None and fresh.conversation.done
    assert store.commit(fresh.conversation, "turn1", "<Response/>", version=fresh.version) is None


def test_a_conversation_expected_but_gone_is_a_conflict_and_unchecked_writes(redis: Redis) -> None:
    store = StepStore(redis, 60)
    with pytest.raises(Conflict):
        store.commit(_conv(), "turn1", "<Response/>", version="0" * 40)
    assert store.commit(_conv(), "turn1", "<Response/>", version=UNCHECKED) is None
