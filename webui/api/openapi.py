"""The OpenAPI 3.0 description of /api/v1, written by hand; tests hold it to the registered routes
(paths, methods and the `x-required-role` of each operation)."""

from __future__ import annotations

from typing import Any

from webui.calls.service import DATE_PATTERN
from webui.fields import SQLITE_INT_MAX
from webui.sip_fields import HOSTPORT_PATTERN, SIP_USER_PATTERN

Schema = dict[str, Any]

# What the checks in webui.fields enforce, said so that clients (and schemathesis) know it: ids are
# row ids within SQLite's 64 bits; text is one line without control characters, and a name is not blank.
_ID = {"type": "integer", "minimum": 1, "maximum": SQLITE_INT_MAX}
_CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_ONE_LINE = f"^[^{_CONTROLS}]*$"
_NOT_BLANK = f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"
_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": _NOT_BLANK}
_NOTE_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_NOTE_CHAR = f"[^{_NOTE_CONTROLS}]"
_NOTE = {"type": "string", "maxLength": 500, "pattern": f"^{_NOTE_CHAR}*$",
         "description": "line breaks and tabs allowed, no other control character"}
_DATE = {"type": "string", "format": "date", "pattern": f"^{DATE_PATTERN}$", "description": "a day from 1970 to 2999"}


def _channel_off_when_empty(channel: Schema) -> Schema:
    """A notification channel: its settings, or null or {} for off."""
    return {"oneOf": [{"type": "object", "maxProperties": 0, "nullable": True}, channel]}


_STRATEGIES = ["ring-all", "sequential", "round-robin", "longest-idle", "fewest-calls", "least-talk-time", "random",
               "weighted-random", "skills"]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _list_of(name: str) -> Schema:
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ref(name)}}}


_ERRORS = {
    400: "A field is missing, mistyped or invalid (the message names it)",
    401: "No bearer token, or an unknown one",
    403: "The token's role is too low",
    404: "No such object",
    409: "Conflicts with an existing object (duplicate name, extension, DID, membership) or its state",
    503: "The engine is not running",
}


def _op(summary: str, role: str, ok: int, ok_schema: Schema | None, *, errors: tuple[int, ...] = (),
        body: str | None = None, params: list[Schema] | None = None, ok_description: str = "OK",
        ok_content: Schema | None = None, body_required: bool = True) -> Schema:
    responses: dict[str, Any] = {}
    if ok_content is not None:
        responses[str(ok)] = {"description": ok_description, "content": ok_content}
    elif ok_schema is not None:
        responses[str(ok)] = {"description": ok_description, **_json(ok_schema)}
    else:
        responses[str(ok)] = {"description": ok_description}
    for code in sorted({401, 403, *errors}):
        responses[str(code)] = {"description": _ERRORS[code], **_json(_ref("Error"))}
    op: Schema = {"summary": summary, "x-required-role": role, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": body_required, **_json(_ref(body))}
    if params:
        op["parameters"] = params
    return op


def _path_id(name: str, what: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": f"the {what}'s id",
            "schema": _ID}


def _query(name: str, schema: Schema, description: str) -> Schema:
    # An empty value means the parameter was left out (a page's filter form sends empty inputs).
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True, "description": description,
            "schema": schema}


_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {**_TIME, "nullable": True}


def _collection(noun: str, schema: str, create: str, *, create_errors: tuple[int, ...] = (400, 409)) -> Schema:
    return {
        "get": _op(f"List the {noun}s", "supervisor", 200, _list_of(schema)),
        "post": _op(f"Create a {noun}", "admin", 201, _ref(schema), body=create, errors=create_errors,
                    ok_description="Created"),
    }


def _item(noun: str, schema: str, param: str, *, delete_summary: str | None = None,
          delete_errors: tuple[int, ...] = (404,)) -> Schema:
    return {
        "parameters": [_path_id(param, noun)],
        "get": _op(f"One {noun}", "supervisor", 200, _ref(schema), errors=(404,)),
        "delete": _op(delete_summary or f"Delete a {noun}", "admin", 204, None, errors=delete_errors,
                      ok_description="Deleted"),
    }


_CALL_FILTERS = [
    _query("outcome", {"type": "string", "enum": ["answered", "abandoned", "overflowed", "failed"]}, "only this outcome"),
    _query("queue_id", _ID, "only calls of this queue"),
    _query("agent_id", _ID, "only calls answered by this agent"),
    _query("caller", {"type": "string", "maxLength": 64, "pattern": _ONE_LINE}, "caller number contains this"),
    _query("from", _DATE, "started on or after this day (box local time)"),
    _query("to", _DATE, "started on or before this day (box local time)"),
    _query("disposition", {"type": "string", "maxLength": 40, "pattern": _ONE_LINE},
           "only calls classified with this code (ACD12)"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}, "page size"),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": SQLITE_INT_MAX, "default": 0}, "calls to skip"),
]

_CALLBACK_STATUSES = ["waiting", "calling", "connecting", "no-answer", "answered", "failed", "cancelled", "expired"]

_CALLBACK_FILTERS = [
    _query("sort", {"type": "string", "enum": ["arrived", "interval", "queue", "caller_input", "last_handler", "status",
                                                "log"], "default": "arrived"},
           "the column to sort by (ties by arrival): interval is the start of the wanted interval, log the last "
           "log text"),
    _query("order", {"type": "string", "enum": ["asc", "desc"], "default": "asc"}, "sort order"),
    _query("queue", _ID, "only callbacks of this queue"),
    _query("open", {"type": "string", "enum": ["0", "1"], "default": "0"},
           "1: only open ones (waiting, calling, connecting, no-answer)"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}, "page size"),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": SQLITE_INT_MAX, "default": 0},
           "callbacks to skip"),
]

_SKILLS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10},
           "description": "skill: level from 1 to 10, e.g. {\"de\": 5}"}

_LOGIN_RESULT = {"type": "object", "required": ["agent_id", "queue_ids"], "properties": {
    "agent_id": {"type": "integer"}, "queue_ids": {"type": "array", "items": {"type": "integer"},
                                                   "description": "every queue the agent is now logged in to"}}}

_AGENT_ACTIVITY = {"type": "object", "required": ["agent_id", "state", "pause_reason"], "properties": {
    "agent_id": {"type": "integer"},
    "state": {"type": "string", "enum": ["logged-out", "idle", "ringing", "busy", "wrap-up", "paused", "unavailable"]},
    "pause_reason": {"type": "string", "nullable": True,
                     "description": "the reason paused for, or to be paused for once the call and wrap-up end"}}}

_AGENT_ACTIVITY_ERRORS = (400, 404, 409, 503)

SCHEMAS: dict[str, Schema] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    "Agent": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "extension": {"type": "string"},
        "settings": _ref("AgentSettings"), "created_at": _TIME,
        "active": {"type": "boolean", "description": "false once deactivated (deleted): kept for history"},
        "deactivated_at": _NULLABLE_TIME}},
    "AgentCreate": {"type": "object", "required": ["name", "extension", "sip_password"], "properties": {
        "name": _NAME,
        "extension": {"type": "string", "pattern": "^[0-9]+$", "maxLength": 20},
        "sip_password": {"type": "string", "minLength": 8, "maxLength": 128, "pattern": _ONE_LINE, "writeOnly": True},
        "settings": _ref("AgentSettings")}},
    "AgentUpdate": {"type": "object", "required": ["settings"], "additionalProperties": False, "properties": {
        "settings": _ref("AgentSettings")}},
    "AgentSettings": {"type": "object", "additionalProperties": False,
                      "description": "the agent's own rules (parse_agent_settings in firmware/acd/settings.py); "
                                     "unknown keys are refused", "properties": {
        "skills": _SKILLS,
        "wrapup": {"type": "number", "minimum": 0, "maximum": 3600,
                   "description": "seconds after each call; overrides the queue's wrap-up"},
        "no_answer_delay": {"type": "number", "minimum": 0, "maximum": 3600,
                            "description": "seconds the agent is not offered a call after not answering one"},
        "reject_delay": {"type": "number", "minimum": 0, "maximum": 3600,
                         "description": "... after rejecting one"},
        "busy_delay": {"type": "number", "minimum": 0, "maximum": 3600,
                       "description": "... after a busy phone"}}},
    "Queue": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "strategy": {"type": "string"},
        "settings": _ref("QueueSettings"), "created_at": _TIME}},
    "QueueCreate": {"type": "object", "required": ["name"], "properties": {
        "name": _NAME,
        "strategy": {"type": "string", "enum": _STRATEGIES, "default": "longest-idle"},
        "settings": _ref("QueueSettings")}},
    "QueueUpdate": {"type": "object", "properties": {
        "strategy": {"type": "string", "enum": _STRATEGIES}, "settings": _ref("QueueSettings")}},
    "QueueSettings": {"type": "object", "additionalProperties": False,
                      "description": "the queue's rules (firmware/acd/settings.py); unknown keys are refused",
                      "properties": {
        "ring_timeout": {"type": "number"}, "retry_delay": {"type": "number"}, "wrapup": {"type": "number"},
        "max_no_answer": {"type": "integer"}, "sticky_window": {"type": "number"}, "sticky_hold": {"type": "number"},
        "weight": {"type": "integer"}, "handle_time": {"type": "number"},
        "overflow": {"type": "array", "items": {"type": "object", "required": ["condition", "destination"],
                     "properties": {
            "condition": {"type": "string", "enum": ["closed", "max-length", "max-wait", "no-agent-logged-in",
                                                     "no-agent-available", "estimated-wait", "calls-per-agent"]},
            "threshold": {"type": "number"},
            "destination": {"type": "object", "required": ["kind"], "properties": {
                "kind": {"type": "string", "enum": ["queue", "number", "voicemail", "callback", "hangup"]},
                "target": {"description": "queue id, phone number, or the message played before hang-up"}}}}}},
        "callback": {"type": "object", "properties": {
            "offer_when_wait_over": {"type": "number"}, "key": {"type": "string"},
            "max_concurrent": {"type": "integer"}, "retry_delay": {"type": "number"},
            "max_attempts": {"type": "integer"}}},
        "messages": {"type": "object", "properties": {
            "first": {"type": "string", "nullable": True}, "repeated": {"type": "array", "items": {"type": "string"}},
            "frequency": {"type": "number"}, "announce_position": {"type": "boolean"},
            "announce_wait": {"type": "boolean"}}},
        "announce_agent": {"type": "boolean", "description": "the caller hears the agent's number"},
        "disposition_required": {"type": "boolean", "description": "the agent's wrap-up lasts until the call is "
                                                                   "classified (ACD12)"},
        "schedule": {"type": "object", "description": "opening hours: timezone, weekly, holidays, exceptions"},
        "skills": {**_SKILLS, "description": "required of every call of the queue: skill: least level 1-10"},
        "skill_rules": {"type": "array", "description": "the level accepted drops as the wait grows",
                        "items": {"type": "object", "required": ["after", "min_level"], "properties": {
                            "after": {"type": "number", "description": "seconds waited"},
                            "min_level": {"type": "integer", "minimum": 0, "maximum": 10,
                                          "description": "0: anyone"}}}},
        "member_order": {"type": "array", "items": {"type": "integer"},
                         "description": "agent ids in order (sequential, round-robin); others after"},
        "member_weights": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0.01},
                           "description": "agent id: weight (weighted-random); default 1"},
        "auto_pause_reason": {"type": "string", "maxLength": 40, "default": "no-answer"},
        "alarms": {"type": "object", "additionalProperties": False, "properties": {
            name: {"type": "integer" if name in ("min_agents", "agents_margin", "min_calls") else "number"}
            for name in ("min_agents", "agents_margin", "sl_target", "sl_goal", "sl_margin", "max_longest_wait",
                         "wait_margin", "min_calls")}},
        "standby": {"type": "object", "required": ["agents"], "additionalProperties": False,
                    "description": "agents logged in when traffic is high; needs one on_ threshold", "properties": {
            "agents": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
            **{name: {"type": "integer" if name in ("on_waiting", "on_available_at_most", "off_waiting")
                      else "number"}
               for name in ("on_waiting", "on_longest_wait", "on_available_at_most", "off_waiting",
                            "off_longest_wait", "min_on_seconds")}}}}},
    "Member": {"type": "object", "properties": {
        "queue_id": {"type": "integer"}, "agent_id": {"type": "integer"}, "name": {"type": "string"},
        "extension": {"type": "string"}}},
    "MemberCreate": {"type": "object", "required": ["agent_id"], "properties": {"agent_id": _ID}},
    "Trunk": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "type": {"type": "string", "enum": ["peer", "register"]},
        "address": {"type": "string"}, "username": {"type": "string", "nullable": True},
        "dtmf": {"type": "string", "enum": ["rfc4733", "inband"]}, "created_at": _TIME}},
    "TrunkCreate": {"type": "object", "required": ["name", "type", "address"],
                    "description": "a register trunk also requires username and password", "properties": {
        "name": _NAME,
        "type": {"type": "string", "enum": ["peer", "register"]},
        "address": {"type": "string", "maxLength": 255, "pattern": f"^{HOSTPORT_PATTERN}$",
                    "description": "host or host:port: a host name, an IPv4 address or [IPv6], port 1-65535"},
        "username": {"type": "string", "maxLength": 100, "pattern": f"^{SIP_USER_PATTERN}$",
                     "description": "the SIP user name (RFC 3261 user part)"},
        "password": {"type": "string", "maxLength": 128, "pattern": _ONE_LINE, "writeOnly": True},
        "dtmf": {"type": "string", "enum": ["rfc4733", "inband"], "default": "rfc4733",
                 "description": "how the trunk sends keys: RFC 4733 events or in-band tones"}}},
    "InboundRoute": {"type": "object", "properties": {
        "id": {"type": "integer"}, "did": {"type": "string"}, "queue_id": {"type": "integer"},
        "priority": {"type": "integer", "minimum": 0, "maximum": 9}, "created_at": _TIME}},
    "InboundRouteCreate": {"type": "object", "required": ["did", "queue_id"], "properties": {
        "did": {"type": "string", "pattern": "^\\+?[0-9]+$", "maxLength": 32}, "queue_id": _ID,
        "priority": {"type": "integer", "minimum": 0, "maximum": 9, "default": 0,
                     "description": "callers of a route with a higher priority are served before the others "
                                    "waiting in the queue (ACD8)"}}},
    "AgentPause": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "description": "a code of the pause reasons (setting pause_reasons)"}}},
    "WrapupExtend": {"type": "object", "required": ["seconds"], "properties": {
        "seconds": {"type": "integer", "minimum": 1, "maximum": 600}}},
    "AgentActivity": {"type": "object", "properties": {
        "agent_id": {"type": "integer"}, "since": _TIME, "until": _TIME,
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "at": _TIME, "activity": {"type": "string", "enum": ["login", "logout", "pause", "pause-end"]},
            "reason": {"type": "string"}, "billable": {"type": "boolean"}}}},
        "logged_in_seconds": {"type": "number"},
        "paused_seconds": {"type": "object", "additionalProperties": {"type": "number"},
                           "description": "seconds paused per reason"},
        "billable_paused_seconds": {"type": "number"}}},
    "AgentLogin": {"type": "object", "required": ["queue_ids"], "properties": {
        "queue_ids": {"type": "array", "minItems": 1, "items": _ID,
                      "description": "queues the agent is a member of"}}},
    "Call": {"type": "object", "properties": {
        "id": {"type": "integer"}, "caller": {"type": "string"}, "callee": {"type": "string"},
        "queue": {"type": "string", "nullable": True, "description": "queue name"},
        "queue_id": {"type": "integer", "nullable": True},
        "agent": {"type": "string", "nullable": True, "description": "agent extension"},
        "agent_id": {"type": "integer", "nullable": True},
        "started_at": _TIME, "answered_at": _NULLABLE_TIME, "ended_at": _NULLABLE_TIME,
        "wait_seconds": {"type": "number", "nullable": True}, "talk_seconds": {"type": "number", "nullable": True},
        "outcome": {"type": "string", "nullable": True, "enum": ["answered", "abandoned", "overflowed", "failed"],
                    "description": "null while the call lasts"},
        "cause": {"type": "string", "nullable": True}, "recording_id": {"type": "integer", "nullable": True},
        "caller_input": {"type": "string", "description": "digits the caller keyed while queued"},
        "direction": {"type": "string", "enum": ["inbound", "outbound"]},
        "callback_of": {"type": "integer", "nullable": True, "description": "the call this callback answers"},
        "disposition": {"type": "string", "nullable": True, "description": "how the call was classified (ACD12)"},
        "disposition_note": {"type": "string", "nullable": True},
        "disposition_by": {"type": "string", "nullable": True, "description": "extension of the classifying agent"},
        "disposition_at": _NULLABLE_TIME}},
    "CallDisposition": {"type": "object", "required": ["disposition"], "additionalProperties": False, "properties": {
        "disposition": {"type": "string", "description": "a code of the setting dispositions"},
        "note": _NOTE}},
    "Recording": {"type": "object", "properties": {
        "id": {"type": "integer"}, "call_id": {"type": "integer"}, "channels": {"type": "integer"},
        "started_at": _TIME, "duration_seconds": {"type": "number", "nullable": True},
        "bytes": {"type": "integer", "nullable": True}}},
    "ConferenceMember": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["phone", "call"]},
        "label": {"type": "string"}, "call_id": {"type": "integer", "nullable": True},
        "connected": {"type": "boolean"}}},
    "ConferenceMemberCreate": {"type": "object", "properties": {
        "extension": {"type": "string", "maxLength": 20, "pattern": _ONE_LINE}, "call_id": _ID}},
    "Conference": {"type": "object", "properties": {
        "id": {"type": "integer"}, "members": {"type": "array", "items": _ref("ConferenceMember")}}},
    "Monitor": {"type": "object", "required": ["mode"], "properties": {
        "mode": {"type": "string", "enum": ["listen", "whisper", "barge", "stop"]},
        "extension": {"type": "string", "maxLength": 20, "pattern": _ONE_LINE,
                      "description": "the supervisor's phone, to start"}}},
    "Callback": {"type": "object", "description": "one row of the callback list (ACD14)", "properties": {
        "call_id": {"type": "integer", "description": "the call the caller left, asking to be called back"},
        "queue_id": {"type": "integer"}, "queue": {"type": "string", "description": "queue name"},
        "number": {"type": "string", "description": "the number to call back"},
        "caller_input": {"type": "string", "description": "digits the caller keyed while queued"},
        "arrived_at": _TIME, "requested_at": _TIME,
        "wanted_from": {**_NULLABLE_TIME, "description": "null: as soon as possible"},
        "wanted_until": {**_NULLABLE_TIME, "description": "null: no end"},
        "forced": {"type": "boolean", "description": "made by an overflow rule, not asked for"},
        "status": {"type": "string", "enum": _CALLBACK_STATUSES}, "attempts": {"type": "integer"},
        "last_handler": {"type": "integer", "nullable": True, "description": "agent id"},
        "last_handler_extension": {"type": "string", "nullable": True},
        "last_handler_name": {"type": "string", "nullable": True},
        "log": {"type": "array", "items": {"type": "string"}}, "last_log": {"type": "string"}}},
    "CallbackNote": {"type": "object", "required": ["text"], "properties": {
        "text": {**_NOTE, "minLength": 1, "pattern": f"^{_NOTE_CHAR}*[^\\s{_NOTE_CONTROLS}]{_NOTE_CHAR}*$",
                 "description": "the handler's short note, kept in the callback's log with their name"}}},
    "CallbackCall": {"type": "object", "properties": {
        "agent_id": {**_ID, "description": "whose phone rings; by default the agent linked to the "
                                                       "user. Only a supervisor or admin may name another agent"}}},
    "Alarm": {"type": "object", "description": "an alarm as the engine raised and cleared it (ACD15), and its notices",
              "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "description": "few-agents, sl-at-risk, long-wait, pause-too-long, ..."},
        "subject": {"type": "string", "description": "what it is about, by id: \"queue 3\", \"agent 2\""},
        "subject_name": {"type": "string", "description": "the same by name: \"queue Support\""},
        "detail": {"type": "string"}, "open": {"type": "boolean"},
        "raised_at": _TIME, "cleared_at": _NULLABLE_TIME,
        "cleared_detail": {"type": "string", "description": "why it cleared, if said"},
        "raise_sent_at": {**_NULLABLE_TIME, "description": "when the raised notice went out (or nobody to tell)"},
        "clear_sent_at": {**_NULLABLE_TIME, "description": "the same for the cleared notice"},
        "attempts": {"type": "integer", "description": "failed deliveries of the notice due"},
        "last_error": {"type": "string", "description": "why the last delivery failed; names no secret"},
        "next_attempt_at": {**_NULLABLE_TIME, "description": "the next try while a notice is failing"}}},
    "Settings": {"type": "object", "properties": {
        "prompt_language": {"type": "string", "enum": ["en", "sv", "de", "zh"],
                            "description": "language of the prompts callers hear"},
        "pause_reasons": {"type": "array", "description": "what agents may pause for (ACD10), the defaults while "
                                                          "unset; no-answer is always there",
                          "items": {"type": "object", "required": ["code"], "additionalProperties": False,
                                    "properties": {
                              "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,30}$"},
                              "billable": {"type": "boolean", "default": False},
                              "max_seconds": {"type": "number", "minimum": 60, "maximum": 86400,
                                              "description": "a longer pause raises an alarm"}}}},
        "dispositions": {"type": "array", "minItems": 1, "description": "what calls may be classified as (ACD12), "
                                                                        "the defaults while unset",
                         "items": {"type": "object", "required": ["code"], "additionalProperties": False,
                                   "properties": {"code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,30}$"},
                                                  "label": {"type": "string", "maxLength": 60}}}},
        "alarm_notifications": _ref("AlarmNotifications")}},
    "AlarmNotifications": {
        "type": "object", "additionalProperties": False,
        "description": "where alarm notices go (ACD15); a channel left out or empty is off. Secrets are shown as "
                       "\"********\"; given back as that or left out, the saved one stays; \"\" clears it",
        "properties": {
            "language": {"type": "string", "enum": ["en", "sv", "de", "zh"], "default": "en",
                         "description": "the language of the notices (they go to addresses, not to users)"},
            "email": _channel_off_when_empty({
                "type": "object", "required": ["to", "from", "host"], "additionalProperties": False,
                "properties": {
                    "to": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "email"}},
                    "from": {"type": "string", "format": "email"}, "host": {"type": "string"},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 587},
                    "security": {"type": "string", "enum": ["starttls", "tls", "none"], "default": "starttls"},
                    "username": {"type": "string"}, "password": {"type": "string", "format": "password"}}}),
            "sms": _channel_off_when_empty({
                "type": "object", "required": ["to", "url"], "additionalProperties": False,
                "description": "the gateway gets a POST of {\"to\", \"text\"} as JSON, with the token as bearer",
                "properties": {
                    "to": {"type": "array", "minItems": 1,
                           "items": {"type": "string", "pattern": "^\\+?[0-9]{3,20}$"}},
                    "url": {"type": "string", "format": "uri"},
                    "token": {"type": "string", "format": "password"}}})}},
    "LiveStatus": {"type": "object", "description": "the engine's status snapshot", "properties": {
        "queues": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "waiting": {"type": "array", "items": {"type": "object", "properties": {
                "call_id": {"type": "integer"}, "caller": {"type": "string"}, "position": {"type": "integer"},
                "waited_seconds": {"type": "number"}}}}}}},
        "agents": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "extension": {"type": "string"},
            "state": {"type": "string"}, "queue_ids": {"type": "array", "items": {"type": "integer"}}}}},
        "active_calls": {"type": "integer"}}},
}

PATHS: dict[str, Schema] = {
    "/openapi.json": {"get": _op("This description", "agent", 200, {"type": "object"})},
    "/agents": {**_collection("agent", "Agent", "AgentCreate"),
                "get": _op("List the active agents", "supervisor", 200, _list_of("Agent"), params=[
                    _query("inactive", {"type": "string", "enum": ["0", "1"], "default": "0"},
                           "1: the deactivated agents too (after the active ones)")])},
    "/agents/{agent_id}": {**_item("agent", "Agent", "agent_id", delete_errors=(404, 409),
                                   delete_summary="Deactivate an agent: out of their queues, their phone refused "
                                                  "at the edge, their extension free for a new agent; past calls "
                                                  "and classifications keep naming them (GET still shows them, "
                                                  "other operations answer 404). 409 while a queue's rules name "
                                                  "them"),
                           "put": _op("Change the agent's own rules (skills, wrap-up, delays after a missed "
                                      "offer); the engine reloads", "admin", 200, _ref("Agent"),
                                      body="AgentUpdate", errors=(400, 404))},
    "/agents/{agent_id}/activity": {
        "parameters": [_path_id("agent_id", "agent")],
        "get": _op("The agent's logins and pauses within days (default today) and their time: logged in, paused "
                   "per reason, billable pause (ACD10)", "supervisor", 200, _ref("AgentActivity"), errors=(400, 404),
                   params=[_query("from", _DATE, "first day (box local time)"),
                           _query("to", _DATE, "last day (box local time)")])},
    "/agents/{agent_id}/login": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("Log the agent in to queues (the engine logs them in and keeps the login)",
                    "supervisor", 200, _LOGIN_RESULT, body="AgentLogin", errors=(400, 404, 409, 503))},
    "/agents/{agent_id}/logout": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("Log the agent out of every queue", "supervisor", 200, _LOGIN_RESULT, errors=(404, 409, 503))},
    "/agents/{agent_id}/pause": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("Pause a logged-in agent with a reason (ACD10); on a call the pause starts after the call and its "
                    "wrap-up. 409: the engine's reason (logged out, unknown reason)", "supervisor", 200,
                    _AGENT_ACTIVITY, body="AgentPause", errors=_AGENT_ACTIVITY_ERRORS)},
    "/agents/{agent_id}/unpause": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("End the agent's pause (or the pause waiting for the call to end)", "supervisor", 200,
                    _AGENT_ACTIVITY, errors=_AGENT_ACTIVITY_ERRORS)},
    "/agents/{agent_id}/wrapup/end": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("End the agent's wrap-up now (ACD9); 409 when not in wrap-up", "supervisor", 200,
                    _AGENT_ACTIVITY, errors=_AGENT_ACTIVITY_ERRORS)},
    "/agents/{agent_id}/wrapup/extend": {
        "parameters": [_path_id("agent_id", "agent")],
        "post": _op("Give the agent more wrap-up time; 409 when not in wrap-up", "supervisor", 200,
                    _AGENT_ACTIVITY, body="WrapupExtend", errors=_AGENT_ACTIVITY_ERRORS)},
    "/queues": _collection("queue", "Queue", "QueueCreate"),
    "/queues/{queue_id}": {**_item("queue", "Queue", "queue_id", delete_errors=(404, 409),
                                   delete_summary="Delete a queue; 409 while numbers are routed to it, other "
                                                  "queues' rules send callers to it or callbacks are still to be made"),
                           "put": _op("Change a queue's strategy or rules (what they name must exist)", "admin", 200,
                                      _ref("Queue"), body="QueueUpdate", errors=(400, 404))},
    "/queues/{queue_id}/members": {
        "parameters": [_path_id("queue_id", "queue")],
        "get": _op("The queue's members", "supervisor", 200, _list_of("Member"), errors=(404,)),
        "post": _op("Add an agent to the queue", "admin", 201, _ref("Member"), body="MemberCreate",
                    errors=(400, 404, 409), ok_description="Created")},
    "/queues/{queue_id}/members/{agent_id}": {
        "parameters": [_path_id("queue_id", "queue"), _path_id("agent_id", "agent")],
        "delete": _op("Remove an agent from the queue", "admin", 204, None, errors=(404,),
                      ok_description="Deleted")},
    "/trunks": _collection("trunk", "Trunk", "TrunkCreate"),
    "/trunks/{trunk_id}": _item("trunk", "Trunk", "trunk_id"),
    "/inbound-routes": _collection("inbound route", "InboundRoute", "InboundRouteCreate", create_errors=(400, 404, 409)),
    "/inbound-routes/{route_id}": _item("inbound route", "InboundRoute", "route_id"),
    "/calls": {"get": _op("Call records, newest first", "agent", 200, _list_of("Call"), errors=(400,),
                          params=_CALL_FILTERS)},
    "/calls/{call_id}": {"parameters": [_path_id("call_id", "call")],
                         "get": _op("One call record", "agent", 200, _ref("Call"), errors=(404,))},
    "/calls/{call_id}/disposition": {
        "parameters": [_path_id("call_id", "call")],
        "put": _op("Classify an answered call (ACD12); an agent only the calls they answered. A wrap-up that "
                   "waits for it ends", "agent", 200, _ref("Call"), body="CallDisposition",
                   errors=(400, 403, 404, 409, 503))},
    "/calls/{call_id}/monitor": {
        "parameters": [_path_id("call_id", "call")],
        "post": _op("A supervisor on a live call (TEL7): rings the extension's phone, then listen (hears both, "
                    "heard by none), whisper (heard by the agent only) or barge (heard by both); the same call "
                    "changes the mode, mode stop ends it", "supervisor", 200, {"type": "object"},
                    body="Monitor", errors=(400, 409, 503))},
    "/conferences": {
        "get": _op("Live conferences and their members", "supervisor", 200, _list_of("Conference"), errors=(503,)),
        "post": _op("Open a conference (up to 50 members)", "supervisor", 201, _ref("Conference"),
                    errors=(409, 503), ok_description="Created")},
    "/conferences/{conference_id}": {
        "parameters": [_path_id("conference_id", "conference")],
        "delete": _op("Close a conference: dialled phones are hung up, moved calls go back", "supervisor", 204,
                      None, errors=(409, 503), ok_description="Closed")},
    "/conferences/{conference_id}/members": {
        "parameters": [_path_id("conference_id", "conference")],
        "post": _op("Dial a phone in ({extension}) or move a live call in ({call_id})", "supervisor", 201,
                    _ref("ConferenceMember"), body="ConferenceMemberCreate", errors=(400, 409, 503),
                    ok_description="Created")},
    "/conferences/{conference_id}/members/{member_id}": {
        "parameters": [_path_id("conference_id", "conference"), _path_id("member_id", "member")],
        "delete": _op("Remove a member (a moved call goes back to its own line)", "supervisor", 204, None,
                      errors=(409, 503), ok_description="Removed")},
    "/callbacks": {"get": _op("The callback list (ACD14) as kept in the store, also while the engine is down",
                              "agent", 200, _list_of("Callback"), errors=(400,), params=_CALLBACK_FILTERS)},
    "/callbacks/{call_id}": {"parameters": [_path_id("call_id", "original call")],
                             "get": _op("One callback", "agent", 200, _ref("Callback"), errors=(404,))},
    "/callbacks/{call_id}/note": {
        "parameters": [_path_id("call_id", "original call")],
        "post": _op("Add the handler's note; a user linked to an agent becomes the last handler (a user with the "
                    "agent role must have that link)", "agent", 200, _ref("Callback"), body="CallbackNote",
                    errors=(400, 404, 409, 503))},
    "/callbacks/{call_id}/requeue": {
        "parameters": [_path_id("call_id", "original call")],
        "post": _op("Put a callback with no answer or failed back on the list, with the handler's note", "agent",
                    200, _ref("Callback"), body="CallbackNote", errors=(400, 404, 409, 503))},
    "/callbacks/{call_id}/call": {
        "parameters": [_path_id("call_id", "original call")],
        "post": _op("Click to call: ring the agent's phone now, then the customer, ahead of the callback's turn, the "
                    "queue's cap and the caller's interval (status waiting, no-answer or failed). 409 says why it "
                    "cannot: no agent's phone for the user, agent not logged in to the queue or not free",
                    "agent", 200, _ref("Callback"), body="CallbackCall", body_required=False,
                    errors=(400, 404, 409, 503))},
    "/callbacks/{call_id}/cancel": {
        "parameters": [_path_id("call_id", "original call")],
        "post": _op("Cancel an open callback (not while its customer is being dialled), with a note", "supervisor",
                    200, _ref("Callback"), body="CallbackNote", errors=(400, 404, 409, 503))},
    "/recordings/{recording_id}": {"parameters": [_path_id("recording_id", "recording")],
                                   "get": _op("A recording's metadata", "agent", 200, _ref("Recording"),
                                              errors=(404,))},
    "/recordings/{recording_id}/audio": {
        "parameters": [_path_id("recording_id", "recording")],
        "get": _op("A recording's audio", "agent", 200, None, errors=(404,),
                   ok_content={"audio/wav": {"schema": {"type": "string", "format": "binary"}}})},
    "/alarms": {"get": _op("Alarms, open ones first, then past ones, newest first, from the store", "supervisor", 200,
                           _list_of("Alarm"), errors=(400,),
                           params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 200},
                                          "how many")])},
    "/settings": {
        "get": _op("The box's settings", "supervisor", 200, _ref("Settings")),
        "put": _op("Change settings (only those given)", "admin", 200, _ref("Settings"), body="Settings",
                   errors=(400,))},
    "/live": {"get": _op("The engine's live status: waiting calls and agent states", "agent", 200,
                         _ref("LiveStatus"), errors=(503,))},
}


def _add_refusals(paths: dict[str, Schema]) -> None:
    """Every operation with an id in its path may answer 404 (no such row, or an id no row can
    have), and every one that reads a body or a query may answer 400 (issue 8, finding 9)."""
    for path, item in paths.items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = set()
            if "{" in path:
                codes.add(404)
            if "requestBody" in op or op.get("parameters"):
                codes.add(400)
            for code in codes:
                op["responses"].setdefault(str(code), {"description": _ERRORS[code], **_json(_ref("Error"))})
            op["responses"] = dict(sorted(op["responses"].items()))


_add_refusals(PATHS)


def _null_means_left_out(schemas: dict[str, Schema], names: set[str]) -> None:
    """A request body's optional field given as null counts as left out (webui.fields): say so."""
    for name in names:
        schema = schemas[name]
        required = set(schema.get("required", ()))
        for field, prop in schema.get("properties", {}).items():
            if field in required:
                continue
            if "$ref" in prop:
                prop = {"allOf": [prop]}
            elif "enum" in prop:
                prop = {**prop, "enum": [*prop["enum"], None]}
            schema["properties"][field] = {**prop, "nullable": True}


# Settings are not read field by field: a setting given as null is refused, as its parser says.
_null_means_left_out(SCHEMAS, {op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                               for item in PATHS.values() for op in item.values()
                               if isinstance(op, dict) and "requestBody" in op} - {"Settings"})

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Callbox API", "version": "1",
             "description": "Configuration, agent logins, call records and live status of the box. "
                            "Every call needs `Authorization: Bearer <token>` (`callbox token create`). "
                            "Roles: admin ≥ supervisor ≥ agent; `x-required-role` names the least role."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    "paths": PATHS,
}
