"""One page per component: its attributes, flows, permissions and findings."""

from __future__ import annotations

from tmcode.render.site.context import SystemSite
from tmcode.render.site.findings import finding_link
from tmcode.render.site.markup import code, severity_badge, text
from tmcode.render.wording import STATUS_WORDS


def component_page(site: SystemSite, cid: str) -> str:
    """The page of component ``cid``."""
    m, index = site.model, site.index
    c = m.components[cid]
    lines = ["---", "tags:", f"  - {c.kind}", "---", "", f"# {code(cid)} ({c.kind})", ""]
    if c.description:
        lines += [text(c.description), ""]
    lines += [
        "| attribute | value |",
        "|---|---|",
        f"| boundary | {code(c.boundary)} |",
        f"| trust | {index.trust[cid].value}{'' if c.trust else ' (from its boundary)'} |",
    ]
    for name, value in c.model_dump(
        mode="json",
        exclude_unset=True,
        exclude={"kind", "boundary", "description", "tools", "controls"},
    ).items():
        lines.append(f"| {name} | {text(str(value))} |")
    for name, info in type(c).model_fields.items():
        extra = info.json_schema_extra
        if (
            name not in c.model_fields_set
            and isinstance(extra, dict)
            and "x-tmcode-assumed" in extra
        ):
            lines.append(f"| {name} | *unset; assumed {text(str(extra['x-tmcode-assumed']))}* |")
    lines.append("")
    declared = index.controls_on(cid).entries
    if declared:
        lines += [
            "Controls: "
            + ", ".join(code(x.id) + (" (planned)" if not x.implemented else "") for x in declared),
            "",
        ]
    flows_in = [index.flows[a] for a in index.flows_in.get(cid, ())]
    flows_out = [index.flows[a] for a in index.flows_out.get(cid, ())]
    if flows_in or flows_out:
        lines += ["## Flows", "", "| direction | peer | kind | data |", "|---|---|---|---|"]
        for f in flows_in:
            lines.append(
                f"| from | [{code(f.from_)}]({site.page[f.from_]}.md) | {f.kind.value} | {', '.join(code(d) for d in f.data)} |"
            )
        for f in flows_out:
            lines.append(
                f"| to | [{code(f.to)}]({site.page[f.to]}.md) | {f.kind.value} | {', '.join(code(d) for d in f.data)} |"
            )
        lines.append("")
    held = [index.permissions[a] for a in index.permissions_of_agent.get(cid, ())]
    if held:
        lines += ["## Permissions held", "", "| target | scopes |", "|---|---|"]
        for entry in held:
            lines.append(
                f"| [{code(entry.target)}]({site.page[entry.target]}.md) | "
                f"{', '.join(s.value for s in entry.permission.scopes)} |"
            )
        lines.append("")
    mine = site.by_component.get(cid, ())
    lines += ["## Findings", ""]
    for finding in mine:
        lines.append(
            f"- {severity_badge(finding.severity)} {finding_link(finding, '../')} "
            f"on {code(finding.target)} — {STATUS_WORDS[finding.status]}"
        )
    if not mine:
        lines.append("None.")
    return "\n".join(lines) + "\n"
