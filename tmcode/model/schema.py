"""The JSON Schema (Draft 2020-12) of the model format, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from tmcode.model.elements import Model

SCHEMA_ID = "https://tmcode.dev/schema/model-v1.json"


class _Draft202012(GenerateJsonSchema):
    """Pydantic's generator, stamped with the dialect and id it targets."""

    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        result = super().generate(schema, mode=mode)
        return {"$schema": self.schema_dialect, "$id": SCHEMA_ID, **result}


def model_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a model file."""
    return Model.model_json_schema(by_alias=True, schema_generator=_Draft202012)


def model_json_schema_text() -> str:
    """Return the JSON Schema as stable, indented JSON text."""
    return json.dumps(model_json_schema(), indent=2, sort_keys=False) + "\n"
