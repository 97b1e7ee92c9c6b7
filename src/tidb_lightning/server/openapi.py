"""The OpenAPI 3.0 document of the status port's API (served at `/openapi.json`): upstream's
routes and shapes (its web/docs/api.yaml), plus what we add (the token, `tasks` in GET /tasks,
our counters in /progress/table)."""
from __future__ import annotations

from tidb_lightning import __version__


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict | str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema) if isinstance(schema, str) else schema}}}


def _err(description: str) -> dict:
    return _json("Error", description)


_NOT_SERVER = {"501": _err("not in server mode (`--server-mode`)")}
_TASK_ID = {"name": "id", "in": "path", "required": True,
            "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": (1 << 63) - 1},
            "description": "a task ID from POST /tasks or GET /tasks"}
_BAD_ID = {"400": _err("the ID is not a number"), "404": _err("no such task")}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    "Empty": {"type": "object", "additionalProperties": False},
    "TaskId": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "format": "int64"}}},
    "TaskSummary": {
        "type": "object", "required": ["id", "state", "source", "w", "z"],
        "properties": {
            "id": {"type": "integer", "format": "int64"},
            "state": {"type": "string", "enum": ["queued", "running", "completed", "failed", "cancelled"]},
            "source": {"type": "string", "description": "mydumper.data-source-dir (secrets masked)"},
            "backend": {"type": "string"},
            "error": {"type": "string", "description": "why it failed, in full"},
            "w": {"type": "integer", "description": "source bytes imported"},
            "z": {"type": "integer", "description": "source bytes in all"},
            "rows": {"type": "integer"},
            "submitted": {"type": "number"},
            "started": {"type": "number", "nullable": True},
            "finished": {"type": "number", "nullable": True}}},
    "TaskList": {
        "type": "object", "required": ["current", "queue"],
        "properties": {
            "current": {"type": "integer", "format": "int64", "nullable": True,
                        "description": "the running task"},
            "queue": {"type": "array", "items": {"type": "integer", "format": "int64"},
                      "description": "queued tasks in run order"},
            "paused": {"type": "boolean"},
            "tasks": {"type": "array", "items": _ref("TaskSummary"),
                      "description": "ours: running, queued, then finished tasks (latest first)"}}},
    "TaskConfig": {"type": "object", "required": ["id"],
                   "description": "the task's resolved configuration, keyed by TOML names; "
                                  "passwords and secrets are masked",
                   "properties": {"id": {"type": "integer", "format": "int64"},
                                  "status": _ref("TaskSummary")}},
    "TaskProgress": {
        "type": "object", "required": ["t", "s", "m"],
        "properties": {
            "t": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["w", "z", "s"],
                "properties": {"w": {"type": "integer", "description": "bytes written"},
                               "z": {"type": "integer", "description": "bytes in all"},
                               "s": {"type": "integer", "enum": [0, 1, 2]},
                               "p": {"type": "string", "description": "ours: pending, import, imported, "
                                     "index, auto-inc, checksum, analyze, done, failed"},
                               "m": {"type": "string"}}}},
            "s": {"type": "integer", "enum": [0, 1, 2], "description": "0 not started, 1 running, 2 completed"},
            "m": {"type": "string", "description": "the last failed task's error"}}},
    "TableCheckpoint": {
        "type": "object", "required": ["Name", "Status", "Engines"],
        "properties": {"Name": {"type": "string"}, "Status": {"type": "integer"},
                       "Engines": {"type": "object"}, "Rows": {"type": "integer"},
                       "Bytes": {"type": "integer"}, "TotalBytes": {"type": "integer"},
                       "Chunks": {"type": "object"}, "Duplicates": {"type": "integer"},
                       "Warnings": {"type": "integer"}, "Skipped": {"type": "integer"},
                       "ChecksumResult": {"type": "string"}}},
    "Paused": {"type": "object", "required": ["paused"], "properties": {"paused": {"type": "boolean"}}},
    "LogLevel": {"type": "object", "required": ["level"],
                 "properties": {"level": {"type": "string",
                                          "enum": ["debug", "info", "warn", "error", "fatal"]}}},
}

_SET_LEVEL = {"summary": "change the log level (PUT or POST, as upstream)",
              "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LogLevel")}}},
              "responses": {"200": _json("Empty", "changed"), "400": _err("not a level")}}

PATHS = {
    "/tasks": {
        "get": {"summary": "the running task and the queue",
                "responses": {"200": _json("TaskList", "tasks"), **_NOT_SERVER}},
        "post": {"summary": "queue a task (a TOML task file, as in --config)",
                 "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
                 "responses": {"200": _json("TaskId", "queued"),
                               "400": _err("not TOML, or not a valid task configuration"),
                               "413": _err("larger than 1 MiB"), **_NOT_SERVER}}},
    "/tasks/{id}": {
        "parameters": [_TASK_ID],
        "get": {"summary": "a task's configuration (secrets masked) and state",
                "responses": {"200": _json("TaskConfig", "the task"), **_BAD_ID, **_NOT_SERVER}},
        "delete": {"summary": "stop the running task, or take a queued one off the queue",
                   "responses": {"200": _json("Empty", "done"), **_BAD_ID, **_NOT_SERVER}}},
    "/tasks/{id}/{action}": {
        "parameters": [_TASK_ID, {"name": "action", "in": "path", "required": True,
                                  "schema": {"type": "string", "enum": ["front", "back"]}}],
        "patch": {"summary": "move a queued task to the front or the back of the queue",
                  "responses": {"200": _json("Empty", "moved"),
                                "400": _err("bad ID or unknown action"), "404": _err("no such task"),
                                "409": _err("the task is running or finished"), **_NOT_SERVER}}},
    "/progress/task": {
        "get": {"summary": "the import's progress per table",
                "responses": {"200": _json("TaskProgress", "progress")}}},
    "/progress/table": {
        "get": {"summary": "one table's checkpoint and counters",
                "parameters": [{"name": "t", "in": "query", "required": True, "schema": {"type": "string"},
                                "description": "the table as `db`.`tbl`"}],
                "responses": {"200": _json("TableCheckpoint", "the table"),
                              "404": _json({"type": "string"}, "no such table in the import")}}},
    "/pause": {
        "get": {"summary": "whether the import and the queue are paused",
                "responses": {"200": _json("Paused", "state")}},
        "put": {"summary": "pause: batches in flight finish, no new batch or task starts",
                "responses": {"200": _json("Empty", "paused")}}},
    "/resume": {"put": {"summary": "resume after a pause (or after a failed task paused the queue)",
                        "responses": {"200": _json("Empty", "resumed")}}},
    "/loglevel": {
        "get": {"summary": "the log level", "responses": {"200": _json("LogLevel", "level")}},
        "put": _SET_LEVEL,
        "post": _SET_LEVEL},
    "/metrics": {"get": {"summary": "Prometheus metrics (namespace lightning)",
                         "responses": {"200": {"description": "text exposition format",
                                               "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
}


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "TiDB Lightning (Python) status and server-mode API", "version": __version__,
                 "description": "Upstream's API (no authentication there); here, with "
                                "`lightning.status-token` set, every path but /web/ and this "
                                "document wants `Authorization: Bearer <token>`."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{}, {"token": []}],
    }
