"""Heartbeat merging: the rule by which watchers extend one event instead of storing thousands."""

from __future__ import annotations

from activitywatch.core.models import Event


def heartbeat_merge(last: Event, heartbeat: Event, pulsetime: int) -> Event | None:
    """The event `last` extended by `heartbeat`, or None when the heartbeat starts something new.

    A heartbeat continues the last event when both carry the same data and it starts no earlier than
    the last event and no later than `pulsetime` nanoseconds after the last event's end. The merged
    event keeps the last event's start and id and ends at the later of the two ends.
    """
    if heartbeat.data != last.data:
        return None
    if not last.timestamp <= heartbeat.timestamp <= last.end + pulsetime:
        return None
    end = max(last.end, heartbeat.end)
    return Event(timestamp=last.timestamp, duration=end - last.timestamp, data=last.data, id=last.id)
