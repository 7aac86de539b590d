"""Each service's Kafka ACLs, derived from the topic registry: who may read and write what."""

import pytest

from schemas.access import SERVICES, STREAM_APPS, acls_for, allowed, principals_allowed
from schemas.topics import (
    ALERTS,
    CONSUMERS,
    CONTACTS_CLASSIFIED,
    CONTACTS_RECEIVED,
    PRODUCERS,
    SLA_EVENTS,
    TOPICS,
)
from services.reporting.settings import ReportingSettings


def test_only_intake_writes_and_only_triage_reads_the_citizens_text() -> None:
    assert principals_allowed("topic", CONTACTS_RECEIVED.name, "Write") == {"intake"}
    assert principals_allowed("topic", CONTACTS_RECEIVED.name, "Read") == {"triage"}


def test_notify_reads_only_the_sla_events_and_the_classified_contacts() -> None:
    readable = {t.name for t in TOPICS if allowed(acls_for("notify"), "topic", t.name, "Read")}
    assert readable == {SLA_EVENTS.name, CONTACTS_CLASSIFIED.name}
    writable = {t.name for t in TOPICS if allowed(acls_for("notify"), "topic", t.name, "Write")}
    assert writable == {ALERTS.name}


def test_every_consumer_reads_its_topics_in_its_group_and_writes_its_dead_letters() -> None:
    for consumer in CONSUMERS:
        acls = acls_for(consumer.service)
        for topic in consumer.topics:
            assert allowed(acls, "topic", topic.name, "Read"), (consumer.group, topic.name)
            assert allowed(acls, "topic", topic.name, "Describe")
        assert allowed(acls, "group", consumer.group, "Read")
        assert allowed(acls, "topic", consumer.dead_letter.name, "Write")


def test_a_service_writes_exactly_the_topics_it_declares() -> None:
    for producer in PRODUCERS:
        acls = acls_for(producer.service)
        writable = {t.name for t in TOPICS if allowed(acls, "topic", t.name, "Write")}
        assert writable == {t.name for t in producer.topics}, producer.service
        assert allowed(acls, "cluster", "kafka-cluster", "IdempotentWrite")


def test_no_service_may_create_a_registry_topic_or_read_another_services_group() -> None:
    for service in SERVICES:
        acls = acls_for(service)
        assert not any(allowed(acls, "topic", t.name, "Create") for t in TOPICS), service
        own_groups = {c.group for c in CONSUMERS if c.service == service}
        for consumer in CONSUMERS:
            if consumer.group not in own_groups:
                assert not allowed(acls, "group", consumer.group, "Read"), service


def test_reporting_runs_its_faust_app_under_the_declared_id() -> None:
    app_id = ReportingSettings().faust_app_id
    assert STREAM_APPS["reporting"] == app_id
    acls = acls_for("reporting")
    assert allowed(acls, "group", app_id, "Read")
    for operation in ("Read", "Write", "Create", "Describe"):
        assert allowed(acls, "topic", f"{app_id}-sla-buckets-changelog", operation)
    assert not allowed(acls_for("notify"), "topic", f"{app_id}-sla-buckets-changelog", "Read")


def test_an_unknown_service_has_no_principal() -> None:
    with pytest.raises(LookupError):
        acls_for("adapter")
