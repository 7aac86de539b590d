"""What an alert says: region, share, window; never any citizen data."""

from typing import Any

from schemas import SlaBreached, SlaRecovered


def alert_body(event: SlaBreached | SlaRecovered) -> dict[str, Any]:
    window = event.window
    share = f"{window.share:.1%}" if window.share is not None else "n/a"
    verb = "below" if isinstance(event, SlaBreached) else "back above"
    return {
        "kind": event.EVENT_TYPE,
        "region": event.region.value,
        "region_name": event.region.display_name,
        "episode_id": str(event.episode_id),
        "share": window.share,
        "target": event.target,
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "answered_within": window.answered_within,
        "answered_late": window.answered_late,
        "abandoned": window.abandoned,
        "summary": (
            f"{event.region.display_name}: {share} answered within 10 minutes, {verb} the "
            f"{event.target:.0%} target ({window.start:%H:%M}-{window.end:%H:%M} UTC)"
        ),
        "cause_event_id": str(event.event_id),
    }
