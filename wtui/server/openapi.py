"""The OpenAPI 3.1 document of ``wtui serve`` (served at /openapi.json, checked by schemathesis)."""

from __future__ import annotations

from typing import Any

from wtui import __version__
from wtui.book.wire import WIRE_KINDS
from wtui.core.config import Config

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
_VECTOR = {"type": "object", "propertyNames": {"maxLength": 64},
           "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 2**62 - 1},
           "description": "replica id -> the number up to which every op of that replica is held"}
_ID = {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"}
_OP = {
    "type": "object",
    "required": ["op_id", "hlc", "actor", "entity", "kind", "payload", "origin", "oseq"],
    "additionalProperties": False,
    "properties": {
        "op_id": _ID,
        "hlc": {"type": "string", "pattern": r"^[0-9]{13}\.[0-9]{5}\.[0-9A-Za-z_-]{1,64}$",
                "description": "hybrid logical clock: <wall ms>.<counter>.<replica id>"},
        "actor": {"type": "string", "maxLength": 200},
        "entity": {"type": "string", "maxLength": 300},
        "kind": {"enum": sorted(WIRE_KINDS)},
        "payload": {"type": "object", "description": "the kind's fields, checked one by one (wtui/book/wire.py); "
                                                     "a payload that is not one of them is refused with its path"},
        "reason": {"type": "string", "maxLength": 65536},
        "batch": {"oneOf": [_ID, {"type": "null"}]},
        "origin": _ID,
        "oseq": {"type": "integer", "minimum": 1, "maximum": 2**62 - 1},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    reasons = {400: "malformed request", 401: "no token, or a token that is unknown, altered or revoked",
               403: "the user may not do this (the reason says why)", 409: "a replica issued a number twice",
               410: ("the replica lacks ops compacted out of the server's log: it pushes its own, then starts again "
                    "from /v1/snapshot (the server's vector comes with it)"),
               413: "the body is too large", 415: "an encoding other than gzip", 429: "too many requests",
               503: "the book is busy, or the feature is not configured"}
    return {str(c): {"description": reasons[c], "content": {"application/json": {"schema": _ERROR}}} for c in codes}


_AUTH = [{"token": []}]
# What a push or a pull answers the server holds is what the next pull says it lacks from.
_TO_PULL = {"PullWhatIsNew": {"operationId": "pull", "requestBody": {"vector": "$response.body#/vector"}}}


def document(cfg: Config) -> dict[str, Any]:
    most = cfg.server.max_push_ops
    return {
        "openapi": "3.1.0",
        "info": {"title": "wtui team server", "version": __version__,
                 "description": "Replicas of a team's customer book sync here (docs/ARCHITECTURE.md)."},
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "Vector": _VECTOR, "Op": _OP},
        },
        "paths": {
            "/health": {"get": {
                "summary": "Is the server up", "security": [],
                "responses": {"200": {"description": "up", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["status", "version"],
                    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}}}}},
            }},
            "/v1/me": {"get": {
                "summary": "Who this token is", "security": _AUTH,
                "responses": {"200": {"description": "the user", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name", "role"],
                    "properties": {"name": {"type": "string"}, "role": {"enum": ["admin", "rep"]}}}}}},
                    **_errors(401, 429, 503)},
            }},
            "/v1/push": {"post": {
                "operationId": "push",
                "summary": "Apply a replica's ops, whole or not at all",
                "security": _AUTH,
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 200}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ops"], "additionalProperties": False,
                    "properties": {"ops": {"type": "array", "maxItems": most, "items": _OP}}}}}},
                "responses": {"200": {
                    "description": "applied; what the server now holds", "links": _TO_PULL, "content": {
                    "application/json": {"schema": {"type": "object", "required": ["applied", "vector"], "properties": {
                        "applied": {"type": "integer", "minimum": 0}, "vector": _VECTOR}}}}},
                    **_errors(400, 401, 403, 409, 413, 415, 429, 503)},
            }},
            "/v1/pull": {"post": {
                "operationId": "pull",
                "summary": "The ops a replica lacks, given what it holds",
                "security": _AUTH,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "properties": {
                        "vector": _VECTOR,
                        "replica": {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$", "description": (
                            "the pulling replica's id: what it holds (vector) is kept, and the log keeps every op "
                            "it lacks until sync.peer_wait_days pass without a word from it")},
                        "limit": {"type": "integer", "minimum": 1, "maximum": most},
                        "wait": {"type": "number", "minimum": 0, "description": (
                            "seconds to wait for news when there is nothing yet; more than "
                            f"{cfg.server.wait_seconds:g} (server.wait_seconds) waits that long")}}}}}},
                "responses": {"200": {
                    "description": "ops, oldest first", "links": _TO_PULL, "content": {"application/json": {
                    "schema": {"type": "object", "required": ["ops", "vector", "more"], "properties": {
                        "ops": {"type": "array", "items": _OP}, "vector": _VECTOR, "more": {"type": "boolean"}}}}}},
                    **_errors(400, 401, 403, 410, 413, 415, 429, 503)},
            }},
            "/v1/probe": {"post": {
                "summary": "The op id held under each (replica id, number): where a restored replica forked",
                "security": _AUTH,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["at"],
                    "properties": {"at": _VECTOR}}}}},
                "responses": {"200": {"description": "each asked number's op id, null if not held",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "required": ["at"], "properties": {"at": {
                                              "type": "object", "additionalProperties": {
                                                  "type": ["string", "null"]}}}}}}},
                              **_errors(400, 401, 413, 415, 429, 503)},
            }},
            "/v1/snapshot": {"get": {
                "summary": "A consistent copy of the book to start a replica from",
                "security": _AUTH,
                "responses": {"200": {"description": "a SQLite file", "content": {
                    "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}}},
                    **_errors(401, 429, 503)},
            }},
            "/webhooks/whatsapp": {
                "get": {
                    "summary": "WhatsApp's verification handshake", "security": [],
                    "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                                   for n in ("hub.mode", "hub.verify_token", "hub.challenge")],
                    "responses": {"200": {"description": "the challenge", "content": {
                        "text/plain": {"schema": {"type": "string"}}}}, **_errors(403)},
                },
                "post": {
                    "summary": "A WhatsApp Cloud API delivery, signed (X-Hub-Signature-256)", "security": [],
                    "parameters": [{"name": "X-Hub-Signature-256", "in": "header", "required": False,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": {"description": "stored; recorded right after", "content": {
                        "text/plain": {"schema": {"type": "string"}}}}, **_errors(401, 403, 413, 415)},
                },
            },
            "/l/{token}": {
                "get": {
                    "summary": "A tracked link (wtui link): records the open for its customer, then redirects",
                    "security": [],
                    "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "302": {"description": "on to the link's address", "headers": {
                            "Location": {"schema": {"type": "string"}}}},
                        "404": {"description": "no such link", "content": {
                            "text/plain": {"schema": {"type": "string"}}}},
                    },
                },
            },
        },
    }
