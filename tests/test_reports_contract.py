"""The reports against the Live Data API's JSON model (seeds/004): every field by name and JSON type, in
live answers and in the OpenAPI document, so a client written for that API reads ours.

The models below are the seed's examples, copied as they are (only the comments are ours).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activitywatch.core.models import Bucket
from tests.conftest import LiveServer
from tests.test_reports import seed, span

SEED_SPLIT = {"productive": 0, "unproductive": 0, "undefined": 0, "total": 0}
SEED_USERS = {
    "activity": [
        {
            "date": "datetime",
            "computerid": 1,
            "groups": [],
            "firstActivity": "datetime",
            "lastActivity": "datetime",
            "lastActivityLog": "datetime",
            "users": [],
            "activeTime": SEED_SPLIT,
            "passiveTime": SEED_SPLIT,
            "totalTime": 0,
        }
    ],
    "total": 0,
}
SEED_COMPUTERS = {
    "activity": [
        {
            "date": "datetime",
            "userid": 1,
            "groups": [],
            "firstActivity": "datetime",
            "lastActivity": "datetime",
            "lastActivityLog": "datetime",
            "computers": [],
            "activeTime": SEED_SPLIT,
            "passiveTime": SEED_SPLIT,
            "totalTime": 0,
        }
    ],
    "total": 0,
}
SEED_ACTIVITY_LOG = {
    "activity": [
        {
            "logId": 0,
            "productivity": 0,
            "popupAlarm": None,
            "emailAlarm": None,
            "externalNotificationAlarm": None,
            "terminate": None,
            "date": "datetime",
            "computerId": 1,
            "computer": "",
            "primaryDomain": "",
            "privateIp": "",
            "publicIp": "",
            "loginDomain": "",
            "user": "",
            "session": 0,
            "duration": 0,
            "applicationId": 0,
            "websiteId": None,
            "executable": "",
            "description": "",
            "url": "",
        }
    ],
    "cursor": "",
}
# What the seed's examples leave open, as we answer it.
INTEGERS = {"computerid", "userid", "logId", "productivity", "computerId", "session", ".total"}  # .total: the row count
NULLABLE_IDS = {"applicationId", "websiteId"}  # an integer, or null when there is no application / URL
ID_LISTS = {"users", "computers"}  # the row's user / computer id; groups stays empty
EXTRAS = {"page", "pageSize", "computer", "user", "category"}

ENDPOINTS = [
    ("/api/0/reports/workinghours/users", {"from": "2024-05-01", "to": "2024-05-02"}, SEED_USERS),
    ("/api/0/reports/workinghours/computers", {"from": "2024-05-01", "to": "2024-05-02"}, SEED_COMPUTERS),
    ("/api/0/reports/activitylog", {"startDate": "2024-05-01", "endDate": "2024-05-02"}, SEED_ACTIVITY_LOG),
]


def json_kind(value: Any) -> str:
    """The JSON type of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def expected_kinds(path: str, model: Any) -> set[str]:
    """The JSON types a field (at `path`, like `.activity[0].logId`) may have, from the seed's example value."""
    name = path.rsplit(".", 1)[-1]
    if name in NULLABLE_IDS:
        return {"integer", "null"}
    if name in INTEGERS or path in INTEGERS:
        return {"integer"}
    kind = json_kind(model)
    return {"integer", "number"} if kind == "integer" else {kind}


def walk(model: Any, ours: Any, path: str, problems: list[str]) -> None:
    """Compare `ours` with the seed's `model` field by field."""
    if isinstance(model, dict):
        for name, value in model.items():
            if name not in ours:
                problems.append(f"{path}.{name}: missing")
                continue
            kinds = expected_kinds(f"{path}.{name}", value)
            if json_kind(ours[name]) not in kinds:
                problems.append(f"{path}.{name}: {json_kind(ours[name])}, the seed has {sorted(kinds)}")
            walk(value, ours[name], f"{path}.{name}", problems)
        problems.extend(f"{path}.{name}: not in the seed" for name in set(ours) - set(model) - EXTRAS)
    elif isinstance(model, list) and model:
        assert ours, f"{path}: no rows to compare"
        for i, item in enumerate(ours):
            walk(model[0], item, f"{path}[{i}]", problems)
    elif isinstance(model, list):
        name = path.rsplit(".", 1)[-1]
        want = "integer" if name in ID_LISTS else None
        if name == "groups" and ours:
            problems.append(f"{path}: should be empty (there are no groups)")
        problems.extend(f"{path}[{i}]: {json_kind(v)}" for i, v in enumerate(ours) if json_kind(v) != want)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def walk_schema(document: dict[str, Any], model: Any, schema: dict[str, Any], path: str, problems: list[str]) -> None:
    """Compare an OpenAPI schema with the seed's `model` field by field."""
    schema = resolve(document, schema)
    if isinstance(model, dict):
        props = schema.get("properties", {})
        for name, value in model.items():
            if name not in props:
                problems.append(f"{path}.{name}: not documented")
                continue
            if name not in schema.get("required", []):
                problems.append(f"{path}.{name}: not required")
            field = resolve(document, props[name])
            if field.get("enum") == [None]:
                kinds = {"null"}  # only null
            else:
                kinds = {str(field.get("type"))} | ({"null"} if field.get("nullable") else set())
            want = expected_kinds(f"{path}.{name}", value)
            if not (kinds - {"null"} <= want and ("null" in kinds) == ("null" in want)):
                problems.append(f"{path}.{name}: documented {sorted(kinds)}, the seed has {sorted(want)}")
            walk_schema(document, value, field, f"{path}.{name}", problems)
    elif isinstance(model, list) and model:
        walk_schema(document, model[0], schema.get("items", {}), f"{path}[]", problems)


@pytest.fixture
def seeded(live_server: LiveServer, http: httpx.Client) -> httpx.Client:
    seed(live_server.store)
    store = live_server.store
    store.create_bucket(Bucket("aw-watcher-web-firefox_pc1", "web.tab.current", "aw-watcher-web", "pc1", 0))
    store.insert_events("aw-watcher-web-firefox_pc1", [span(1, 11, 12.5, {"url": "https://example.org/"})])
    return http


@pytest.mark.parametrize(("path", "params", "model"), ENDPOINTS, ids=[e[0].rsplit("/", 2)[-1] for e in ENDPOINTS])
def test_answers_follow_the_seed_model(seeded: httpx.Client, path: str, params: dict[str, str], model: Any) -> None:
    r = seeded.get(path, params={**params, "tz": "UTC"})
    assert r.status_code == 200, r.text
    problems: list[str] = []
    walk(model, r.json(), "", problems)
    assert not problems, "\n".join(problems)


def test_activity_log_has_both_kinds_of_nullable_ids(seeded: httpx.Client) -> None:
    """The walk above saw integers or nulls; here both appear, so neither kind is left untested."""
    rows = seeded.get("/api/0/reports/activitylog", params={"startDate": "2024-05-01", "tz": "UTC"}).json()
    sites = {json_kind(row["websiteId"]) for row in rows["activity"]}
    assert sites == {"integer", "null"}
    assert {json_kind(row["applicationId"]) for row in rows["activity"]} == {"integer"}


@pytest.mark.parametrize(("path", "params", "model"), ENDPOINTS, ids=[e[0].rsplit("/", 2)[-1] for e in ENDPOINTS])
def test_openapi_documents_the_seed_model(http: httpx.Client, path: str, params: dict[str, str], model: Any) -> None:
    document = http.get("/api/openapi.json").json()
    operation = document["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    problems: list[str] = []
    walk_schema(document, model, schema, "", problems)
    assert not problems, "\n".join(problems)
    documented = {p["name"] for p in operation["parameters"]}
    assert {"pageSize", "userId", "groupId", "computerId"} <= documented
    assert ({"startDate", "endDate", "cursor"} if "activitylog" in path else {"from", "to", "page"}) <= documented
