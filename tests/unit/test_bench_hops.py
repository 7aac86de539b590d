"""The pipeline's stages in `python -m bench system` (bench/hops.py): each stage's seconds
are measured from the stage before it, per contact."""

import uuid

from bench.hops import Posted, between

A, B = uuid.uuid4(), uuid.uuid4()


def test_each_stage_counts_from_the_one_before() -> None:
    posted = [Posted(A, 100.0), Posted(B, 101.0)]
    sent = [
        ("intake", {A: 100.2, B: 101.5}),
        ("triage", {A: 100.3, B: 101.7}),
        ("queueing", {A: 101.0, B: 101.8}),
    ]
    seconds = between(posted, sent)
    assert {k: [round(s, 3) for s in v] for k, v in seconds.items()} == {
        "intake": [0.2, 0.5],
        "triage": [0.1, 0.2],
        "queueing": [0.7, 0.1],
    }


def test_a_contact_a_stage_never_sent_is_left_out_from_there_on() -> None:
    posted = [Posted(A, 100.0), Posted(B, 101.0)]
    sent = [("intake", {A: 100.25}), ("triage", {A: 100.5, B: 101.75})]
    assert between(posted, sent) == {"intake": [0.25], "triage": [0.25]}
