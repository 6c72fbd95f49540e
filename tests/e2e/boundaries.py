"""Requests at and past every limit, generated from a service's OpenAPI document.

For each operation: a minimal valid-looking request (required fields only, values that fit their schema),
then one request per field with that field at its length limit and just past it (or, where the schema
sets no limit, at lengths that would reach the filesystem, the regex engine or the database), as a zero,
tiny, negative and huge ISO-8601 duration, and as numbers at the edges; query strings alike; and one body
just past the operation's body limit. What the generator cannot know — which answers are right — the test
decides: never a 5xx, every error a problem body, every body past the limit a 413, and after each accepted
write the reads that share its parameters still answer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_BODY_LIMIT = 1_048_576  # the kit's max_body_bytes
UNBOUNDED_LENGTHS = (256, 4_096, 300_000)  # past a file name, past a page, most of a body
DURATIONS = ("P0D", "PT0S", "PT0.001S", "-P1D", "P99999999999D")
NUMBERS = (0, -1, 2**63)
CANDIDATES = ("T1", "+8613800138000", "east", "08:00", "ARCHIVE01", "127.0.0.1", "2026Q1", "a")


@dataclass
class Case:
    name: str
    method: str
    path: str  # filled in
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw: bytes | None = None  # a body sent as it is
    expect: int | None = None  # a status the case must get; otherwise any 4xx or 2xx
    values: dict[str, Any] = field(default_factory=dict)  # the path parameters, for the follow-up reads


class Schemas:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema

    def options(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return [self.resolve(s) for s in schema[key] if self.resolve(s).get("type") != "null"]
        if "allOf" in schema:
            return [self.resolve(schema["allOf"][0])]
        return [schema]

    def example(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """A value that fits `schema`, as small as it may be."""
        options = self.options(schema)
        if not options:
            return None
        schema = options[0]
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and depth > 0:
            return copy.deepcopy(schema["default"])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            properties = schema.get("properties", {})
            return {name: self.example(properties[name], depth + 1) for name in schema.get("required", [])
                    if name in properties and depth < 6}  # fmt: skip
        if kind == "array":
            count = max(schema.get("minItems", 0), 1)
            return [self.example(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind == "string":
            return _string(schema)
        if kind == "integer":
            return max(int(schema.get("minimum", 1)), 1)
        if kind == "number":
            return float(max(schema.get("minimum", 1), 1))
        if kind == "boolean":
            return True
        return "x"

    def fields(self, schema: dict[str, Any], path: tuple[Any, ...] = (), depth: int = 0
               ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:  # fmt: skip
        """Every leaf (path into the body, its schema), optional ones too."""
        options = self.options(schema)
        if not options or depth > 5:
            return
        schema = options[0]
        if schema.get("type") == "object" or "properties" in schema:
            for name, sub in schema.get("properties", {}).items():
                yield from self.fields(sub, (*path, name), depth + 1)
        elif schema.get("type") == "array":
            yield from self.fields(schema.get("items", {}), (*path, 0), depth + 1)
        else:
            yield path, schema

    def container(self, schema: dict[str, Any], path: tuple[Any, ...]) -> list[dict[str, Any]]:
        """The schemas along `path`, from the root."""
        found = [self.options(schema)[0] if self.options(schema) else {}]
        for step in path:
            current = found[-1]
            sub = current.get("items", {}) if isinstance(step, int) else current.get("properties", {}).get(step, {})
            options = self.options(sub)
            found.append(options[0] if options else {})
        return found


def _string(schema: dict[str, Any]) -> str:
    form = schema.get("format")
    now = datetime.now(UTC)
    if form == "date-time":
        return (now - timedelta(days=1)).isoformat()
    if form == "date":
        return now.date().isoformat()
    if form == "time":
        return "08:00:00"
    if form == "duration":
        return "PT1H"
    if (pattern := schema.get("pattern")) is not None:
        for candidate in CANDIDATES:
            if re.search(pattern, candidate):
                return candidate
    return "x" * max(schema.get("minLength", 1), 1)


def _with(body: Any, schemas: Schemas, root: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    """`body` with the field at `path` set to `value`, building the objects and lists on the way."""
    body = copy.deepcopy(body)
    along = schemas.container(root, path)
    if not path:
        return value
    current = body
    for i, step in enumerate(path[:-1]):
        child_schema = along[i + 1]
        if isinstance(step, int):
            if not current:
                current.append(schemas.example(child_schema, 1) if child_schema else {})
            if not isinstance(current[0], dict | list):
                current[0] = schemas.example(child_schema, 1)
            current = current[0]
        else:
            if not isinstance(current.get(step), dict | list):
                made = schemas.example(child_schema, 1)
                current[step] = made if isinstance(made, dict | list) else {}
            current = current[step]
    last = path[-1]
    if isinstance(last, int):
        if current:
            current[0] = value
        else:
            current.append(value)
    else:
        current[last] = value
    return body


def mutations(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Values at and past the edges of one field."""
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema:
        limit = schema.get("maxLength")
        lengths = (limit, limit + 1) if limit is not None else UNBOUNDED_LENGTHS
        for length in lengths:
            yield f"{length} characters", "A" * length
        if schema.get("format") is None and "pattern" not in schema:
            for duration in DURATIONS:
                yield f"duration {duration}", duration
    elif kind in ("integer", "number"):
        for number in NUMBERS:
            yield f"number {number}", number


def cases(document: dict[str, Any]) -> Iterator[Case]:
    schemas = Schemas(document)
    for template, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [schemas.resolve(p) for p in operation.get("parameters", [])]
            values = {p["name"]: schemas.example(p.get("schema", {}), 1) for p in parameters if p["in"] == "path"}
            path = template.format(**values)
            query = {p["name"]: schemas.example(p.get("schema", {}), 1) for p in parameters
                     if p["in"] == "query" and p.get("required")}  # fmt: skip
            name = f"{method.upper()} {template}"
            for p in parameters:
                if p["in"] != "query":
                    continue
                for options in schemas.options(p.get("schema", {}))[:1]:
                    for what, value in mutations(options):
                        if isinstance(value, str) and len(value) > 8_000:
                            continue  # past the gateway's request line: nginx's own 414, not the service's
                        yield Case(f"{name} ?{p['name']}={what}", method, path, {**query, p["name"]: value},
                                   values=values)  # fmt: skip
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            root = content["application/json"].get("schema", {})
            minimal = schemas.example(root)
            limit = int(operation.get("x-max-body-bytes", DEFAULT_BODY_LIMIT))
            yield Case(f"{name} minimal body", method, path, query, body=minimal, values=values)
            yield Case(f"{name} body past {limit} bytes", method, path, query,
                       raw=b'{"pad": "' + b"x" * (limit + 1_024) + b'"}', expect=413, values=values)  # fmt: skip
            for where, leaf in schemas.fields(root):
                for what, value in mutations(leaf):
                    label = ".".join(str(s) for s in where) or "body"
                    yield Case(f"{name} {label}={what}", method, path, query,
                               body=_with(minimal, schemas, root, where, value), values=values)  # fmt: skip


def follow_ups(document: dict[str, Any], case: Case, body: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """GET operations whose required parameters an accepted write named (by path parameter or body field)."""
    schemas = Schemas(document)
    known = dict(case.values)
    if isinstance(body, dict):
        known |= {k: v for k, v in body.items() if isinstance(v, str | int)}
    for template, operations in document.get("paths", {}).items():
        operation = operations.get("get")
        if not isinstance(operation, dict):
            continue
        parameters = [schemas.resolve(p) for p in operation.get("parameters", [])]
        required = [p for p in parameters if p["in"] == "path" or p.get("required")]
        if not required or not all(p["name"] in case.values for p in required):
            continue
        path_values = {p["name"]: known[p["name"]] for p in required if p["in"] == "path"}
        query = {p["name"]: known[p["name"]] for p in required if p["in"] == "query"}
        yield template.format(**path_values), query
