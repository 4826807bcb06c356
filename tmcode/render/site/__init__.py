"""The threat-model documentation site: a mkdocs-material project of plain Markdown pages.

`site_files` is a pure function from a finished report to {relative path: content}, built from
one small page builder per page type; writing the files and running mkdocs (`build`) are a
separate step. Every piece of model text is escaped for Markdown, every id is shown as code.
"""

from __future__ import annotations

from tmcode.render.site.build import MANIFEST, build_site, check_site_folder, write_site
from tmcode.render.site.catalog import catalog_index, standards_page, threat_page
from tmcode.render.site.config import STYLESHEET, mkdocs_yml
from tmcode.render.site.files import site_files
from tmcode.render.site.markup import code, nav_title, text, unique_name

__all__ = [
    "MANIFEST",
    "STYLESHEET",
    "build_site",
    "catalog_index",
    "check_site_folder",
    "code",
    "mkdocs_yml",
    "nav_title",
    "site_files",
    "standards_page",
    "text",
    "threat_page",
    "unique_name",
    "write_site",
]
