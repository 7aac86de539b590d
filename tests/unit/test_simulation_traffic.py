"""The traffic model: regions by population, an office-hours profile, the channel and matter
mix, and texts that triage classifies as intended. Large seeded samples; tolerances are about
five standard errors of a share, so a correct model does not fail by chance."""

import random
import re
from collections import Counter
from datetime import datetime, time, timedelta

import pytest

from domain.service_level import NATIONAL, STOCKHOLM, ServiceLevelPolicy
from pkc.simulation.mix import CHANNEL_SHARES, reaches_an_operator
from pkc.simulation.profile import hour_share, seconds_until_service
from pkc.simulation.regions import population_shares
from pkc.simulation.texts import TEMPLATES, compose, intended_category
from pkc.simulation.traffic import Arrivals, TrafficModel
from schemas import Channel, MatterType, NeedCategory, Region, Route
from services.triage.classifier import Classifier

SAMPLE = 40_000


@pytest.fixture(scope="module")
def sample() -> list:  # type: ignore[type-arg]
    model, rng = TrafficModel(), random.Random(7)
    return [model.draw(rng) for _ in range(SAMPLE)]


def test_regions_follow_population(sample: list) -> None:  # type: ignore[type-arg]
    counts = Counter(c.region for c in sample)
    for region, share in population_shares().items():
        assert counts[region] / SAMPLE == pytest.approx(share, abs=0.011), region
    assert counts.most_common(1)[0][0] == Region.STOCKHOLM


def test_the_channel_mix_is_phone_first(sample: list) -> None:  # type: ignore[type-arg]
    counts = Counter(c.channel for c in sample)
    for channel, share in CHANNEL_SHARES.items():
        assert counts[channel] / SAMPLE == pytest.approx(share, abs=0.012), channel
    assert [c for c, _ in counts.most_common(2)] == [Channel.PHONE, Channel.E_SERVICE]


def test_the_matter_mix_has_emergencies_and_e_service_matters(sample: list) -> None:  # type: ignore[type-arg]
    matters = Counter(c.matter for c in sample)
    emergencies = matters[MatterType.ONGOING_CRIME_OR_DANGER] / SAMPLE
    assert 0.01 < emergencies < 0.05
    e_service = [c for c in sample if c.channel == Channel.E_SERVICE]
    deflected = sum(1 for c in e_service if not reaches_an_operator(c.channel, c.matter))
    assert deflected / len(e_service) > 0.9  # the e-services take most of what comes by them
    reception = [c for c in sample if c.channel == Channel.RECEPTION]
    passports = sum(1 for c in reception if c.matter == MatterType.PASSPORT_BOOKING)
    assert passports / len(reception) == pytest.approx(0.78, abs=0.04)  # "about 80 %" (seed 002)


def test_arrivals_peak_in_office_hours() -> None:
    """A simulated weekday of arrivals, drawn by the same thinning the simulator uses."""
    model, rng = TrafficModel(volume=2.0), random.Random(3)
    arrivals = Arrivals(model, rng)
    start = datetime(2026, 11, 24, tzinfo=STOCKHOLM)
    moment, per_hour = start, Counter[int]()
    while (moment := moment + timedelta(seconds=arrivals.gap())) < start + timedelta(days=1):
        if arrivals.kept(moment):
            per_hour[moment.hour] += 1
    total = sum(per_hour.values())
    assert total == pytest.approx(model.contacts_per_day * 2.0, rel=0.02)
    peak = max(per_hour, key=per_hour.__getitem__)
    assert 9 <= peak <= 14
    assert sum(per_hour[h] for h in range(7, 20)) / total > 0.85  # the service hours
    assert per_hour[3] < per_hour[peak] / 20  # the night is quiet
    for hour in range(24):
        expected = total * hour_share(hour)
        assert abs(per_hour[hour] - expected) < 5 * expected**0.5 + 5, hour


def test_generated_texts_classify_as_intended() -> None:
    classifier, model, rng = Classifier.from_file(), TrafficModel(), random.Random(11)
    contacts = [model.draw(rng) for _ in range(3_000)]
    hits = 0
    for contact in contacts:
        decision = classifier.classify(contact.text, contact.channel)
        hits += decision.matter == contact.matter and decision.category == contact.category
        if contact.category == NeedCategory.EMERGENCY:
            assert decision.route == Route.EMERGENCY_112, contact.text
    assert hits / len(contacts) >= 0.9
    # Every template, with every channel, is meant to classify exactly.
    for matter in TEMPLATES:
        for _ in range(60):
            text = compose(matter, rng)
            decision = classifier.classify(text, Channel.PHONE)
            assert (decision.matter, decision.category) == (matter, intended_category(matter)), text


def test_texts_vary_and_carry_no_personal_numbers() -> None:
    rng = random.Random(5)
    texts = [compose(matter, rng) for matter in TEMPLATES for _ in range(200)]
    assert len(set(texts)) > len(texts) / 3
    for text in texts:
        assert not re.search(r"\d", text), text  # no identity numbers, phone numbers, addresses


def test_seconds_until_service_keeps_wall_time_across_daylight_saving() -> None:
    evening = datetime(2026, 3, 28, 21, 0, tzinfo=STOCKHOLM)  # the clocks go forward that night
    assert seconds_until_service(evening, NATIONAL) == 9 * 3600
    assert seconds_until_service(datetime(2026, 11, 24, 12, 0, tzinfo=STOCKHOLM), NATIONAL) == 0
    assert seconds_until_service(datetime(2026, 11, 24, 6, 30, tzinfo=STOCKHOLM), NATIONAL) == 1800


def test_operators_keep_the_service_hours_of_the_policy_they_are_given() -> None:
    later = ServiceLevelPolicy(opens=time(8, 0), closes=time(18, 0))
    half_past_seven = datetime(2026, 11, 24, 7, 30, tzinfo=STOCKHOLM)
    assert seconds_until_service(half_past_seven, NATIONAL) == 0
    assert seconds_until_service(half_past_seven, later) == 1800
    evening = datetime(2026, 11, 24, 18, 30, tzinfo=STOCKHOLM)
    assert seconds_until_service(evening, later) == (13 * 60 + 30) * 60
