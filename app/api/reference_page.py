"""The OpenAPI document flattened for the HTML reference page (`/api/docs`)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _type_words(schema: dict[str, Any]) -> str:
    """A schema's type as a short phrase: `string`, `string or null`, `Server`, `array of …`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_type_words(part) for part in schema["allOf"])
    if "anyOf" in schema:
        return " or ".join(_type_words(part) for part in schema["anyOf"])
    if "const" in schema:
        return repr(schema["const"]).replace("True", "true").replace("False", "false")
    if "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return "object of " + _type_words(schema["additionalProperties"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return "array of " + _type_words(schema.get("items", {}))
    return kind


def _constraints(schema: dict[str, Any]) -> str:
    """The rules a value must follow, in words (enum, length, range, format)."""
    parts = []
    if "enum" in schema:
        values = schema["enum"]
        shown = ", ".join(str(v) for v in values[:10])
        parts.append(
            f"one of {shown}" + (f" (+{len(values) - 10} more)" if len(values) > 10 else "")
        )
    if "format" in schema:
        parts.append(f"format {schema['format']}")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '…')}–{schema.get('maximum', '…')}")
    return "; ".join(parts)


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_words(prop),
            "required": name in required,
            "description": prop.get("description", ""),
            "rules": _constraints(prop),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def reference_page(document: dict[str, Any]) -> dict[str, Any]:
    """The document flattened for the HTML reference: operations, then schemas."""
    schemas = document["components"]["schemas"]
    operations = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            body = op.get("requestBody")
            body_schema = body["content"][JSON]["schema"] if body else None
            operations.append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "tag": op["tags"][0],
                    "auth": ", ".join(name for req in op.get("security", []) for name in req),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_words(p["schema"]),
                            "rules": _constraints(p["schema"]),
                            "description": p.get("description", ""),
                        }
                        for p in [*shared, *op.get("parameters", [])]
                    ],
                    "body": {
                        "required": body.get("required", False),
                        "schema": _type_words(body_schema),
                    }
                    if body
                    else None,
                    "responses": [
                        {
                            "status": status,
                            "description": response["description"],
                            "schema": _type_words(response["content"][JSON]["schema"]),
                        }
                        for status, response in op["responses"].items()
                    ],
                }
            )
    return {
        "info": document["info"],
        "operations": operations,
        "security": document["components"]["securitySchemes"],
        "schemas": [
            {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
            for name, schema in schemas.items()
        ],
    }
