"""A small evaluator of Kubernetes NetworkPolicy semantics, enough to list which flows the
rendered policies allow between named endpoints (pods in namespaces, or outside addresses)."""

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tests.deploy.manifests import Doc


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str = "pkc"
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    namespace_labels: dict[str, str] = field(default_factory=dict, hash=False)
    ip: str | None = None  # set for addresses outside the cluster's pods
    ports: tuple[tuple[str, int], ...] = ()  # (protocol, port) it listens on


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present, value = expression["key"] in labels, labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression.get("values", []):
            return False
        if (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
    return True


def _peer_matches(peer: dict[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False  # pod traffic is judged by selectors here
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if other.ip is not None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def _any_peer(peers: list[dict[str, Any]] | None, other: Endpoint, namespace: str) -> bool:
    # A rule without peers admits everyone, on its ports.
    return not peers or any(_peer_matches(p, other, namespace) for p in peers)


def _port_matches(rule: dict[str, Any], protocol: str, port: int) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(
        p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports
    )


def _rules(policies: list[Doc], pod: Endpoint, direction: str) -> list[dict[str, Any]] | None:
    """The rules of one direction that govern `pod`, or None when no policy isolates it."""
    policy_type = "Ingress" if direction == "ingress" else "Egress"
    governing = [
        p
        for p in policies
        if pod.ip is None
        and p["metadata"].get("namespace", pod.namespace) == pod.namespace
        and policy_type in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not governing:
        return None
    return [rule for p in governing for rule in p["spec"].get(direction, [])]


def allowed(
    policies: list[Doc], source: Endpoint, target: Endpoint, protocol: str, port: int
) -> bool:
    egress = _rules(policies, source, "egress")
    if egress is not None and not any(
        _port_matches(r, protocol, port) and _any_peer(r.get("to"), target, source.namespace)
        for r in egress
    ):
        return False
    ingress = _rules(policies, target, "ingress")
    return ingress is None or any(
        _port_matches(r, protocol, port) and _any_peer(r.get("from"), source, target.namespace)
        for r in ingress
    )
