"""Write a model back out as YAML that loads to an equal model."""

from __future__ import annotations

from typing import Any

import yaml

from tmcode.model.elements import Model
from tmcode.model.yaml_reader import resolve_plain


class _ModelDumper(yaml.SafeDumper):
    """A dumper whose strings always load back as strings under the YAML 1.2 core schema."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    try:
        plain = isinstance(resolve_plain(value), str)
    except ValueError:  # a number too long to read back: quoting keeps it text
        plain = False
    style = "'" if not plain else None
    if "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flat = all(
        isinstance(item, (str, int, float, bool)) and "\n" not in str(item) for item in value
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat or None)


_ModelDumper.add_representer(str, _represent_str)
_ModelDumper.add_representer(list, _represent_list)


def model_to_data(model: Model) -> dict[str, Any]:
    """Return the model as plain data, keeping only what was set."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def model_to_yaml(model: Model) -> str:
    """Return the model as YAML text in the v1 format."""
    text = yaml.dump(
        model_to_data(model),
        Dumper=_ModelDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return str(text)
