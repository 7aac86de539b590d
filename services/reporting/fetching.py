"""What /readyz shows of the Faust worker's fetching: which source partitions it is not
fetching and why, and per partition the fetcher's and Faust's offsets. Diagnostics only, read
from private attributes defensively: when a region's counts stop while the worker is ready and
assigned, this says where its records are."""

from typing import Any

import faust

from schemas.topics import CONTACTS_CLASSIFIED, QUEUE_EVENTS
from services.reporting.rewind import fetcher_state


def fetching(app: faust.App) -> dict[str, Any]:
    """Which assigned source partitions the worker is not fetching, and why, from Faust's own
    flow control (private attributes, read defensively): what /readyz shows when a region's
    counts stop while the worker is ready and assigned."""
    consumer = app.consumer
    sources = {topic.name for topic in (QUEUE_EVENTS, CONTACTS_CLASSIFIED)}

    def named(tps: Any) -> list[str]:
        return sorted(f"{tp.topic}/{tp.partition}" for tp in tps or () if tp.topic in sources)

    assigned = set(consumer.assignment())
    active = getattr(consumer, "_active_partitions", None)
    return {
        "partitions": _partition_states(consumer, assigned, sources),
        "flow_active": bool(getattr(consumer, "flow_active", True)),
        "app_flow_active": app.flow_control.is_active(),
        "in_recovery": bool(app.in_recovery),
        "rebalancing": bool(getattr(app, "rebalancing", False)),
        "not_fetched": named(assigned - active) if active is not None else [],
        "paused": named(getattr(consumer, "_paused_partitions", ())),
        "buffer_full": named(getattr(consumer, "_buffered_partitions", ())),
        "skipped": getattr(getattr(consumer, "handled", None), "skips", None),
    }


def _partition_states(consumer: Any, assigned: set[Any], sources: set[str]) -> dict[str, Any]:
    """Per assigned source partition: the fetcher's own view (aiokafka's position, pause,
    reset and buffered records) and Faust's read and committed offsets."""
    states: dict[str, Any] = {}
    fetcher = fetcher_state(consumer)
    if fetcher is None:
        return states
    buffered, assignment = fetcher
    for tp in assigned:
        if tp.topic not in sources:
            continue
        entry: dict[str, Any] = {
            "read": consumer._read_offset.get(tp),
            "committed": consumer._committed_offset.get(tp),
            "buffered": tp in buffered,
        }
        try:
            state = assignment.state_value(tp)
        except Exception as exc:  # diagnostics only: never fail /readyz
            entry["state"] = type(exc).__name__
            state = None
        if state is not None:
            entry |= {
                "paused": state.paused,
                "valid_position": state.has_valid_position,
                "position": state.position if state.has_valid_position else None,
                "awaiting_reset": state.awaiting_reset,
                "highwater": state.highwater,
            }
        states[f"{tp.topic}/{tp.partition}"] = entry
    return states
