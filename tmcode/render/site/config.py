"""The mkdocs-material configuration of the generated site."""

from __future__ import annotations

from typing import Any

import yaml

from tmcode.render.site.markup import nav_title

STYLESHEET = "stylesheets/tmcode.css"


def mkdocs_yml(
    site_name: str,
    nav: list[Any],
    css: list[str] | None = None,
    scripts: list[str] | None = None,
    polyfills: list[str] | None = None,
) -> str:
    """The mkdocs-material configuration the generated pages need.

    The site asks nothing of the network when viewed: page links name their `.html` files (so
    they work from a file system), the theme's web fonts are off, and every script and style
    is a file of the site.
    """
    config: dict[str, Any] = {
        "site_name": nav_title(site_name),
        "use_directory_urls": False,
        "theme": {
            "name": "material",
            "font": False,
            "features": ["navigation.sections", "content.tabs.link", "search.highlight"],
        },
        # `offline` makes search work from a file system (its index as a script, no worker).
        "plugins": ["search", "offline", "tags"],
        "extra_css": [STYLESHEET, *(css or [])],
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "tables",
            "toc",
            "pymdownx.details",
            "pymdownx.superfences",
            {"pymdownx.tabbed": {"alternate_style": True}},
        ],
    }
    # No "Made with" link leaving the site; the search shim from the site, not from a CDN.
    config["extra"] = {"generator": False, "polyfills": list(polyfills or [])}
    if scripts:
        config["extra_javascript"] = list(scripts)
    config["nav"] = nav
    return str(
        yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=1000)
    )


class _ConfigDumper(yaml.SafeDumper):
    """The safe dumper, which quotes every string that could read as a tag, anchor or key."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
