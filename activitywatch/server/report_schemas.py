"""JSON Schemas of the reports' answers: the Live Data API's model (seeds/004), plus a few readable extras."""

from __future__ import annotations

from activitywatch.server.operations import Schema

ID: Schema = {"type": "integer", "minimum": 1}
TEXT: Schema = {"type": "string"}
SECONDS: Schema = {"type": "number", "minimum": 0, "description": "Seconds"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
ALWAYS_NULL: Schema = {"type": "string", "nullable": True, "enum": [None], "description": "Always null: no alarms"}

SPLIT: Schema = {
    "type": "object",
    "required": ["productive", "unproductive", "undefined", "total"],
    "properties": dict.fromkeys(("productive", "unproductive", "undefined", "total"), SECONDS),
}
_DAY: dict[str, Schema] = {
    "date": {"type": "string", "format": "date", "description": "The day (YYYY-MM-DD), in tz"},
    "groups": {"type": "array", "items": ID, "maxItems": 0, "description": "Always empty: there are no groups"},
    "firstActivity": {**DATE_TIME, "description": "First moment not away"},
    "lastActivity": {**DATE_TIME, "description": "Last moment not away"},
    "lastActivityLog": {**DATE_TIME, "description": "End of the day's last event"},
    "activeTime": SPLIT,
    "passiveTime": SPLIT,
    "totalTime": SECONDS,
}
COMPUTER_DAY: Schema = {
    "type": "object",
    "required": [*_DAY, "userid", "computers"],
    "properties": {
        **_DAY,
        "userid": {**ID, "description": "The user (the one person using this database)"},
        "computers": {"type": "array", "items": ID, "description": "This row's computer id"},
        "computer": {**TEXT, "description": "Extra: the computer's name"},
        "user": {**TEXT, "description": "Extra: the user's login"},
    },
}
USER_DAY: Schema = {
    "type": "object",
    "required": [*_DAY, "computerid", "users"],
    "properties": {
        **_DAY,
        "computerid": {"type": "integer", "minimum": -1, "description": "-1: the row joins all computers"},
        "users": {"type": "array", "items": ID, "description": "This row's user id"},
        "user": {**TEXT, "description": "Extra: the user's login"},
    },
}


def working_hours_page(row: Schema) -> Schema:
    """The working-hours envelope around rows of one kind."""
    return {
        "type": "object",
        "required": ["activity", "total"],
        "properties": {
            "activity": {"type": "array", "items": row},
            "total": {"type": "integer", "description": "Rows in all pages"},
            "page": {"type": "integer", "description": "Extra: this page"},
            "pageSize": {"type": "integer", "description": "Extra: rows per page"},
        },
    }


LOG_FIELDS = [
    "logId",
    "productivity",
    "popupAlarm",
    "emailAlarm",
    "externalNotificationAlarm",
    "terminate",
    "date",
    "computerId",
    "computer",
    "primaryDomain",
    "privateIp",
    "publicIp",
    "loginDomain",
    "user",
    "session",
    "duration",
    "applicationId",
    "websiteId",
    "executable",
    "description",
    "url",
]
LOG_ROW: Schema = {
    "type": "object",
    "required": LOG_FIELDS,
    "properties": {
        "logId": {**ID, "description": "The window event's id"},
        "productivity": {"type": "integer", "enum": [1, 0, -1], "description": "1 productive, -1 not, 0 undefined"},
        "popupAlarm": ALWAYS_NULL,
        "emailAlarm": ALWAYS_NULL,
        "externalNotificationAlarm": ALWAYS_NULL,
        "terminate": ALWAYS_NULL,
        "date": {**DATE_TIME, "description": "When the event began, with tz's offset"},
        "computerId": ID,
        "computer": TEXT,
        "primaryDomain": {**TEXT, "description": "Always empty: the computer's network domain is not collected"},
        "privateIp": {**TEXT, "description": "Always empty: addresses are never collected"},
        "publicIp": {**TEXT, "description": "Always empty: addresses are never collected"},
        "loginDomain": {**TEXT, "description": "The computer's name (a local login's domain)"},
        "user": TEXT,
        "session": {"type": "integer", "minimum": 0, "description": "Id of the not-afk span it falls in; 0: none"},
        "duration": SECONDS,
        "applicationId": {**ID, "nullable": True, "description": "Stable per executable; null without one"},
        "websiteId": {**ID, "nullable": True, "description": "Stable per domain of url; null without a URL"},
        "executable": TEXT,
        "description": {**TEXT, "description": "The window title"},
        "url": {**TEXT, "description": "The browser tab shown longest during the event, or empty"},
        "category": {**TEXT, "description": "Extra: the category, 'Parent > Child'"},
    },
}
LOG_PAGE: Schema = {
    "type": "object",
    "required": ["activity", "cursor"],
    "properties": {
        "activity": {"type": "array", "items": LOG_ROW},
        "cursor": {"type": "string", "description": "Pass it back to continue"},
    },
}
COMPUTERS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["computerId", "computer"],
        "properties": {"computerId": ID, "computer": TEXT},
    },
}
USERS: Schema = {
    "type": "array",
    "items": {"type": "object", "required": ["userId", "user"], "properties": {"userId": ID, "user": TEXT}},
}
