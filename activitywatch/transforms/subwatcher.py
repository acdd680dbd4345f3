"""Fields of a sub-watcher (browser tab, editor file) carried over onto the window events."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

from activitywatch.core.models import Event

CONFLICTS = ("base_wins", "sub_wins")


def merge_subwatcher_fields(
    base_events: Sequence[Event],
    sub_events: Sequence[Event],
    keys: Sequence[str],
    conflict: str = "base_wins",
) -> list[Event]:
    """Each base event split where overlapping sub events begin and end, each piece given the `keys`
    of the latest-starting sub event going on in it (a key the base already has is kept unless
    `conflict` is "sub_wins"). Adjacent pieces that end up equal are joined again, so the pieces
    cover exactly the base events' time."""
    if conflict not in CONFLICTS:
        raise ValueError(f"conflict must be 'base_wins' or 'sub_wins', got {conflict!r:.80}")
    if not sub_events or not keys:
        return list(base_events)
    subs = sorted(sub_events, key=lambda e: e.timestamp)
    starts = [s.timestamp for s in subs]
    longest = max(s.duration for s in subs)
    out: list[Event] = []
    for base in base_events:
        b_start, b_end = base.timestamp, base.timestamp + base.duration
        overlapping = []
        bounds = {b_start, b_end}
        for k in range(bisect_left(starts, b_start - longest), len(subs)):
            sub = subs[k]
            s_start, s_end = sub.timestamp, sub.timestamp + sub.duration
            if s_start >= b_end:
                break
            if s_end <= b_start:
                continue
            i_start, i_end = max(s_start, b_start), min(s_end, b_end)
            if i_start < i_end or (b_start <= s_start and s_end <= b_end) or (s_start <= b_start and b_end <= s_end):
                overlapping.append((sub, s_start, s_end))
                bounds.add(i_start)
                bounds.add(i_end)
        if not overlapping:
            out.append(base)
            continue
        points = sorted(bounds)
        pieces: list[Event] = []
        for start, end in pairwise(points):
            best = None
            for sub, s_start, s_end in overlapping:
                touches = (
                    (start <= s_start < end)
                    or (start < s_end <= end)
                    or (s_start <= start and end <= s_end)
                    or (start <= s_start and s_end <= end)
                )
                if not touches:
                    continue
                if (
                    best is None
                    or sub.timestamp > best[0].timestamp
                    or (sub.timestamp == best[0].timestamp and s_end > best[2])
                ):
                    best = (sub, s_start, s_end)
            data = dict(base.data)
            if best is not None:
                for key in keys:
                    if key in best[0].data and (conflict == "sub_wins" or key not in data):
                        data[key] = best[0].data[key]
            if pieces and pieces[-1].timestamp + pieces[-1].duration == start and pieces[-1].data == data:
                last = pieces[-1]
                pieces[-1] = last.replace(duration=last.duration + end - start)
            else:
                pieces.append(Event(start, end - start, data, base.id))
        out.extend(pieces)
    return out
