"""The mkdocs-material configuration of the generated site."""

from __future__ import annotations

from typing import Any

import yaml

from tmcode.render.site.markup import nav_title

STYLESHEET = "stylesheets/tmcode.css"


def mkdocs_yml(site_name: str, nav: list[Any]) -> str:
    """The mkdocs-material configuration the generated pages need."""
    config = {
        "site_name": nav_title(site_name),
        "theme": {
            "name": "material",
            "features": ["navigation.sections", "content.tabs.link", "search.highlight"],
        },
        "plugins": ["search", "tags"],
        "extra_css": [STYLESHEET],
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "tables",
            "toc",
            "pymdownx.details",
            {
                "pymdownx.superfences": {
                    "custom_fences": [
                        {
                            "name": "mermaid",
                            "class": "mermaid",
                            "format": _PythonName("pymdownx.superfences.fence_code_format"),
                        }
                    ]
                }
            },
            {"pymdownx.tabbed": {"alternate_style": True}},
        ],
        "nav": nav,
    }
    return str(
        yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=1000)
    )


class _PythonName(str):
    """A ``!!python/name:`` reference that MkDocs resolves: the one tag its configuration holds."""


class _ConfigDumper(yaml.SafeDumper):
    """The safe dumper, which quotes every string that could read as a tag, anchor or key."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_python_name(dumper: yaml.SafeDumper, value: _PythonName) -> yaml.ScalarNode:
    return dumper.represent_scalar(f"tag:yaml.org,2002:python/name:{value}", "")


_ConfigDumper.add_representer(_PythonName, _represent_python_name)
