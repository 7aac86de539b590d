"""Who may do what on Kafka: each service's ACLs, derived from the topic registry.

One principal per service, and one per channel adapter submitting straight to Kafka. What a
service reads (CONSUMERS) and writes (PRODUCERS) in schemas/topics.py is the one declaration;
the local broker's ACLs (pkc/localkafka) and the Strimzi KafkaUser manifests (pkc/k8s_users.py)
are both generated from `acls_for`, so the cluster cannot grant what the code does not declare.
Everything not granted is refused (`allow.everyone.if.no.acl.found=false`): above all, only
intake writes and only triage reads the citizen's text on contacts.received, and an adapter
writes only its own submission topic.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas.submissions import ADAPTER_CLIENTS
from schemas.topics import CONSUMERS, PRODUCERS, Topic

Operation = Literal["Read", "Write", "Create", "Describe", "IdempotentWrite"]
ResourceType = Literal["topic", "group", "cluster"]
PatternType = Literal["literal", "prefix"]

# Kafka's own order of operations, so that a rendered ACL does not depend on the derivation's.
_ORDER: tuple[Operation, ...] = ("Read", "Write", "Create", "Describe", "IdempotentWrite")

SERVICES: tuple[str, ...] = ("intake", "triage", "queueing", "reporting", "notify")
# Each channel adapter that submits straight to Kafka signs in as its client id and may write
# its own submission topic only (schemas/topics.py SUBMISSIONS): it reads nothing.
ADAPTERS: tuple[str, ...] = ADAPTER_CLIENTS
PRINCIPALS: tuple[str, ...] = SERVICES + ADAPTERS
ADMIN = "admin"  # the super user: creates topics and ACLs; the tests' and `pkc` tools' reader
CLUSTER = "kafka-cluster"  # the name of Kafka's one cluster resource
# Reporting's Faust app: its consumer group is the app id (ReportingSettings.faust_app_id) and
# every topic it makes itself (table changelogs, the assignor's leader topic) starts "<id>-".
STREAM_APPS: dict[str, str] = {"reporting": "pkc-reporting"}


@dataclass(frozen=True, order=True)
class Acl:
    """Allow `operations` on one resource (or every resource whose name starts with `name`)."""

    resource: ResourceType
    name: str
    pattern: PatternType
    operations: tuple[Operation, ...]


def acls_for(service: str) -> tuple[Acl, ...]:
    """Every ACL of `service`'s principal: Read+Describe on the topics and groups it consumes,
    Write+Describe on the topics it produces and on its dead-letter topics, IdempotentWrite on
    the cluster (its producers are idempotent), and its stream app's group and own topics."""
    if service not in PRINCIPALS:
        raise LookupError(f"no Kafka principal for {service!r}")
    grants: dict[tuple[ResourceType, str, PatternType], set[Operation]] = {}

    def allow(
        resource: ResourceType, name: str, *ops: Operation, pattern: PatternType = "literal"
    ) -> None:
        grants.setdefault((resource, name, pattern), set()).update(ops)

    for consumer in (c for c in CONSUMERS if c.service == service):
        for topic in consumer.topics:
            allow("topic", topic.name, "Read", "Describe")
        allow("group", consumer.group, "Read", "Describe")
        allow("topic", consumer.dead_letter.name, "Write", "Describe")
    for topic in written_by(service):
        allow("topic", topic.name, "Write", "Describe")
    if app := STREAM_APPS.get(service):
        allow("group", app, "Read", "Describe")
        allow("topic", f"{app}-", "Read", "Write", "Create", "Describe", pattern="prefix")
    if any(resource == "topic" and "Write" in ops for (resource, _, _), ops in grants.items()):
        allow("cluster", CLUSTER, "IdempotentWrite")
    return tuple(
        sorted(
            Acl(resource, name, pattern, tuple(op for op in _ORDER if op in ops))
            for (resource, name, pattern), ops in grants.items()
        )
    )


def written_by(service: str) -> tuple[Topic, ...]:
    return tuple(t for p in PRODUCERS if p.service == service for t in p.topics)


def allowed(acls: Iterable[Acl], resource: ResourceType, name: str, operation: Operation) -> bool:
    """Whether the ACLs let `operation` on one named resource (as the broker decides it)."""
    return any(
        acl.resource == resource
        and operation in acl.operations
        and (name == acl.name if acl.pattern == "literal" else name.startswith(acl.name))
        for acl in acls
    )


def principals_allowed(resource: ResourceType, name: str, operation: Operation) -> set[str]:
    """The principals (services, adapters) that may do `operation` on the resource."""
    return {s for s in PRINCIPALS if allowed(acls_for(s), resource, name, operation)}
