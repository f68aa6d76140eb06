"""The API reference page's structure, read from the OpenAPI schema ninja serves.

One source: the operations, parameters and shapes come from `api.get_openapi_schema`, the
same document as /api/v1/openapi.json, never from a second list. The page (api/reference.html)
renders what `api_reference` returns; the schema's own texts are English (docstrings and
field descriptions), the page around them follows the visitor's language.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.text import slugify

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


def _ref_name(ref: str) -> str:
    return ref[len(REF_PREFIX) :] if ref.startswith(REF_PREFIX) else ref


def type_of(schema: dict | None) -> dict[str, Any]:
    """A field's type in words: {"text": "string | null", "ref": component name or None}.

    `ref` names the one component the type points at (a link on the page); "array of X",
    "object of X" keep it."""
    if not schema:
        return {"text": "any", "ref": None}
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return {"text": name, "ref": name}
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_of(s) for s in schema[key]]
            ref = next((p["ref"] for p in parts if p["ref"]), None)
            return {"text": " | ".join(dict.fromkeys(p["text"] for p in parts)), "ref": ref}
    kind = schema.get("type")
    if kind == "array":
        inner = type_of(schema.get("items"))
        return {"text": f"array of {inner['text']}", "ref": inner["ref"]}
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner = type_of(schema["additionalProperties"])
        return {"text": f"object of {inner['text']}", "ref": inner["ref"]}
    text = str(kind or "object")
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"])
    return {"text": text, "ref": None}


def _constraints(schema: dict) -> str:
    """maxLength, pattern, bounds and default, also inside an anyOf with null."""
    found = []
    for s in [schema, *schema.get("anyOf", [])]:
        for key in ("minimum", "maximum", "minLength", "maxLength", "pattern"):
            if key in s:
                found.append(f"{key} {s[key]}")
    if "default" in schema and schema["default"] is not None:
        found.append(f"default {schema['default']}")
    return ", ".join(found)


def fields_of(schema: dict | None, components: dict) -> list[dict]:
    """The properties of an object schema (a component followed through its $ref)."""
    if schema and "$ref" in schema:
        schema = components.get(_ref_name(schema["$ref"]), {})
    if not schema or "properties" not in schema:
        return []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(prop),
            "required": name in required,
            "description": prop.get("description", ""),
            "constraints": _constraints(prop),
        }
        for name, prop in schema["properties"].items()
    ]


def _parameters(op: dict) -> list[dict]:
    return [
        {
            "name": p["name"],
            "where": p.get("in", ""),
            "type": type_of(p.get("schema")),
            "required": bool(p.get("required")),
            "description": p.get("description") or p.get("schema", {}).get("description", ""),
        }
        for p in op.get("parameters", [])
    ]


def _body(op: dict, components: dict) -> dict | None:
    body = op.get("requestBody")
    if not body:
        return None
    content_type, media = next(iter(body.get("content", {}).items()), ("", {}))
    schema = media.get("schema")
    return {
        "content_type": content_type,
        "required": bool(body.get("required")),
        "type": type_of(schema),
        "fields": fields_of(schema, components),
    }


def _responses(op: dict) -> list[dict]:
    out = []
    for status, answer in op.get("responses", {}).items():
        media = next(iter(answer.get("content", {}).values()), {})
        out.append(
            {
                "status": status,
                "description": answer.get("description", ""),
                "type": type_of(media.get("schema")) if media else None,
            }
        )
    return out


def api_reference(*, schema: dict) -> dict:
    """{"title", "version", "description", "security", "tags": [{"name", "anchor",
    "operations": [...]}], "schemas": [{"name", "anchor", "description", "fields"}]}.

    Tags in the order the schema first names them; each operation keeps its operationId
    (unique, tested) as its anchor."""
    components = schema.get("components", {}).get("schemas", {})
    tags: dict[str, dict] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["api"])[0]
            group = tags.setdefault(tag, {"name": tag, "anchor": "tag-" + slugify(tag), "operations": []})
            group["operations"].append(
                {
                    "id": op["operationId"],
                    "anchor": "op-" + op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "token": bool(op.get("security")),
                    "parameters": _parameters(op),
                    "body": _body(op, components),
                    "responses": _responses(op),
                }
            )
    return {
        "title": schema.get("info", {}).get("title", ""),
        "version": schema.get("info", {}).get("version", ""),
        "description": schema.get("info", {}).get("description", ""),
        "security": schema.get("components", {}).get("securitySchemes", {}),
        "tags": list(tags.values()),
        "schemas": [
            {
                "name": name,
                "anchor": "schema-" + name,
                "description": s.get("description", ""),
                "fields": fields_of(s, components),
            }
            for name, s in components.items()
        ],
    }


@functools.lru_cache(maxsize=2)
def served_reference(api) -> dict:
    """The reference of the schema `api` serves at /api/v1/openapi.json, built once per
    process: the schema's texts do not depend on the language (checked in the tests) and
    the routes are fixed at import. `api` is given by its docs page (api.AtlasDocs), so this
    module does not import the API it describes."""
    return api_reference(schema=api.get_openapi_schema(path_params={}))
