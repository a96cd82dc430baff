"""One deployment, many clinics: the called number chooses the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.policy import Policies, PolicyError, load_policy
from config.settings import DEFAULT_POLICY_DIR

DATA = Path(__file__).parent / "data" / "policies"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies([*Policies.load(DEFAULT_POLICY_DIR).all, *Policies.load(DATA).all])


def test_two_clinics_on_two_numbers(policies: Policies) -> None:
    maple = policies.for_number("+15555550100")
    harbor = policies.for_number("+15555550200")
    assert maple is not None and maple.clinic_id == "maple-street"
    assert harbor is not None and harbor.clinic_id == "harbor-cats"
    assert harbor.tz.key == "America/New_York"
    assert policies.by_id("harbor-cats") is harbor and policies.default is maple


def test_unknown_number_is_none(policies: Policies, caplog: pytest.LogCaptureFixture) -> None:
    assert policies.for_number("+15555559999") is None
    assert "no clinic policy for the called number …9999" in caplog.text
    assert policies.for_number(None) is None
    assert policies.for_number("") is None


def test_second_clinic_sections(policies: Policies) -> None:
    harbor = policies.by_id("harbor-cats")
    assert harbor is not None
    assert [er.name for er in harbor.ers] == ["Harbor Emergency Vets", "Northside Pet ER"]
    assert harbor.er.name == "Harbor Emergency Vets"  # the first is the default
    assert harbor.poison_control.name == "Pet Poison Helpline"
    assert harbor.greeting == "Harbor Cat Clinic, after hours." and harbor.voice == "Polly.Salli"
    maple = policies.by_id("maple-street")
    assert maple is not None and maple.poison_control.phone == "+18884264435"


def test_two_files_with_one_number_are_refused() -> None:
    one = load_policy(DEFAULT_POLICY_DIR / "example.yaml")
    with pytest.raises(PolicyError, match="also the number of"):
        Policies([one, one])
