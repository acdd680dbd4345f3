"""Derived text fields: the parts of URLs and tidied window titles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from activitywatch.core.models import Event

_LEADING_DOT = re.compile(r"^(●|\*)\s*")
_COUNT_PREFIX = re.compile(r"^\([0-9]+\)\s*")
_FPS = re.compile(r"FPS:\s+[0-9\.]+")


def _url_fields(url: str) -> dict[str, str]:
    try:
        parts = urlparse(url)
    except ValueError:  # e.g. an invalid IPv6 host
        return {"$protocol": "", "$domain": "", "$path": "", "$params": "", "$options": "", "$identifier": ""}
    netloc = parts.netloc
    domain = (netloc[4:] if netloc.startswith("www.") else netloc) if netloc else parts.scheme
    return {
        "$protocol": parts.scheme,
        "$domain": domain,
        "$path": parts.path,
        "$params": parts.params,
        "$options": parts.query,
        "$identifier": parts.fragment,
    }


def split_url_events(events: Sequence[Event]) -> list[Event]:
    """Events whose string `data.url` is split into `$protocol`, `$domain` (without `www.`; the
    scheme for URLs without a host), `$path`, `$params`, `$options` (query) and `$identifier`
    (fragment); other events unchanged."""
    done: dict[int, dict[str, Any]] = {}
    out = []
    for event in events:
        data = event.data
        url = data.get("url")
        if not isinstance(url, str):
            out.append(event)
            continue
        new = done.get(id(data))
        if new is None:
            new = done[id(data)] = {**data, **_url_fields(url)}
        out.append(Event(event.timestamp, event.duration, new, event.id))
    return out


def simplify_title(title: str, is_window_title: bool) -> str:
    """A title without an unread-count prefix like "(3) " and, for window titles, without a leading
    "●" or "*" (unsaved marks) and with frame-rate counters as "FPS: ..."."""
    title = _COUNT_PREFIX.sub("", title)
    if is_window_title:
        title = _FPS.sub("FPS: ...", title)
        title = _LEADING_DOT.sub("", title)
    return title


def simplify_window_titles(events: Sequence[Event], key: str = "title") -> list[Event]:
    """Events with the string `data[key]` simplified (see simplify_title); others unchanged."""
    out = []
    for event in events:
        data = event.data
        value = data.get(key)
        if not isinstance(value, str):
            out.append(event)
            continue
        simple = simplify_title(value, key == "title" and "app" in data)
        out.append(event if simple == value else event.replace(data={**data, key: simple}))
    return out
