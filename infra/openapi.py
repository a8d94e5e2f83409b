"""The API's OpenAPI document, generated from the API functions' resolvers (their routes,
pydantic models and security markers) and served by ``GET /openapi.json`` (functions/api_docs).

``make openapi`` rewrites ``functions/api_docs/openapi.json``; a test fails while the committed
document differs from what the code generates, so the document cannot drift from the handlers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
API_FUNCTIONS = (
    "applications_api",
    "members_api",
    "contracts_api",
    "support_api",
    "devices_api",
    "cancellations_api",
)
DOCUMENT = ROOT / "functions" / "api_docs" / "openapi.json"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$", "description": "machine-readable"},
        "message": {"type": "string", "description": "for a person"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
SECURITY_SCHEMES: dict[str, Any] = {
    "staffToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The ID token of a member of the support-staff group of the staff user pool.",
    },
    "memberToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The ID token of a member of the mobile service (the members user pool), "
        "holder of the mobile account its custom:mobileContractId names (issue 23).",
    },
    "deviceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The device's own token, returned once by POST /devices/registrations.",
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _resolver(name: str) -> Any:
    """Import functions/<name>/app.py under a name of its own (they are all called app.py)."""
    spec = importlib.util.spec_from_file_location(f"anshin_api_{name}", ROOT / "functions" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def document() -> dict[str, Any]:
    # The modules read their configuration at import; generating the document touches no AWS.
    os.environ.setdefault("IDEMPOTENCY_TABLE", "openapi-generation")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for name in API_FUNCTIONS:
        part = json.loads(
            _resolver(name).get_openapi_json_schema(title="anshin", security_schemes=SECURITY_SCHEMES)
        )
        for path, operations in part["paths"].items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(part.get("components", {}).get("schemas", {}))
    for operations in paths.values():
        for operation in operations.values():
            responses = operation["responses"]
            # The resolvers document FastAPI's 422; our malformed-request answer is 400 (anshin.http).
            responses.pop("422", None)
            responses["400"] = _error("VALIDATION_ERROR: the request is malformed")
            responses["413"] = _error("PAYLOAD_TOO_LARGE: the body is over 16 KB")
            responses["415"] = _error("UNSUPPORTED_MEDIA_TYPE: the body is not JSON")
            if operation.get("security") == [{"staffToken": []}]:
                responses["401"] = _error("UNAUTHENTICATED: no valid staff token")
                responses["403"] = _error("FORBIDDEN: not in the support-staff group")
            if operation.get("security") == [{"memberToken": []}]:
                responses["401"] = _error("UNAUTHENTICATED: no valid member token")
                responses["403"] = _error("MEMBERS_ONLY: not a member's token (a staff token)")
            if operation.get("security") == [{"deviceToken": []}]:
                responses["401"] = _error("DEVICE_NOT_AUTHENTICATED: not this device's token")
            responses["default"] = _error("a refusal with the rule's reason code")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "operationId": "openapi_document",
            "responses": {"200": {"description": "The OpenAPI document of the API"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "anshin: スマホ安心サポート API",
            "version": "1.0.0",
            "description": "Errors answer {code, message}; the code is the rule's reason code "
            "where there is one (docs/terms/RULES.md).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    DOCUMENT.write_text(render(), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
