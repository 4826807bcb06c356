"""The standards cross-walk as terminal text and as a Markdown page."""

from __future__ import annotations

from collections import Counter

from tmcode.catalog.coverage import ListCoverage
from tmcode.render.escape import markdown_code, markdown_text


def _code(value: str) -> str:
    return markdown_code(value, "python")


def _text(value: str) -> str:
    return markdown_text(value, "python")


def _short(reference: str) -> str:
    """`LLM06:2025` for `owasp-llm:LLM06:2025`: the id without its scheme."""
    return reference.split(":", 1)[1]


def coverage_text(lists: list[ListCoverage]) -> str:
    """Each list in turn: its entries with the threats citing them, then its gaps."""
    lines: list[str] = []
    for c in lists:
        spec = c.spec
        flags = ", ".join(
            f
            for f in ("required" if spec.required else "", "" if spec.complete else "selection")
            if f
        )
        lines += ["", f"{spec.heading} [{c.key}{', ' + flags if flags else ''}] — {spec.status}"]
        if spec.note:
            lines.append(f"  {spec.note}")
        lines.append(f"  {spec.url}")
        for e in c.entries:
            name = e.name + (f" (was {_short(e.same_as)})" if e.same_as else "")
            if e.threats:
                cited = ", ".join(e.threats)
            else:
                cited = "NOT COVERED" if spec.required else "not cited"
            lines.append(f"  {e.reference:28} {name[:58]:58} {cited}")
        covered = len(c.entries) - len(c.gaps)
        lines.append(f"  {covered}/{len(c.entries)} covered" + _gap_note(c))
        for ref, threats in c.unlisted:
            lines.append(f"  cited but not an entry of this list: {ref} ({', '.join(threats)})")
    total = sum(len(c.entries) for c in lists)
    covered = sum(len(c.entries) - len(c.gaps) for c in lists)
    failing = [c.key for c in lists if c.failing]
    lines += ["", f"{covered}/{total} entries covered"]
    lines.append("gaps in: " + ", ".join(failing) if failing else "no gaps in a required list")
    return "\n".join(lines).lstrip("\n")


def _gap_note(c: ListCoverage) -> str:
    if not c.gaps:
        return ""
    word = "gaps" if c.spec.required else "not cited (informational)"
    return f"; {word}: " + ", ".join(_short(g) for g in c.gaps)


def edition_table(lists: list[ListCoverage]) -> list[str]:
    """Markdown rows pairing each entry of a later edition with its id in the earlier one."""
    by_key = {c.key: c for c in lists}
    lines: list[str] = []
    for c in lists:
        earlier = by_key.get(c.spec.supersedes or "")
        if earlier is None or not c.spec.same_as:
            continue
        names = {e.reference: e.name for e in earlier.entries}
        back = {old: new for new, old in c.spec.same_as.items()}
        lines += [
            "",
            f"### {_text(earlier.spec.heading)} → {_text(c.spec.edition)}",
            "",
            "Every threat that cites an earlier id also cites the later one, so a risk "
            "decision written with the earlier id keeps matching; the later id matches the same "
            "findings, and those of threats that fit only the later text.",
            "",
            f"| {_text(earlier.spec.edition)} | name | {_text(c.spec.edition)} | name |",
            "|---|---|---|---|",
        ]
        later_names = {e.reference: e.name for e in c.entries}
        for old in earlier.spec.entries:
            new = back.get(old)
            lines.append(
                f"| {_code(old)} | {_text(names[old])} | "
                + (f"{_code(new)} | {_text(later_names[new])} |" if new else "— | no successor |")
            )
    return lines


def standards_markdown(lists: list[ListCoverage], fired: Counter[str] | None = None) -> str:
    """The cross-walk page: every list and entry, the threats covering it, findings if given."""
    lines = [
        "# Standards cross-walk",
        "",
        "Every entry of the lists tmcode maps to, one section per list and edition, with the "
        "threats that cover it"
        + (" and how many open findings cite it in these models." if fired is not None else ".")
        + " Ids are edition-qualified: `owasp-llm:LLM03:2025` (Supply Chain) and "
        "`owasp-llm:LLM03:2026` (Excessive Agency) are different risks.",
        "",
        "| list | edition | status | entries covered |",
        "|---|---|---|---|",
    ]
    for c in lists:
        covered = len(c.entries) - len(c.gaps)
        lines.append(
            f"| [{_text(c.spec.title)}]({c.spec.url}) | {_text(c.spec.edition)} | "
            f"{_text(c.spec.status)} | {covered}/{len(c.entries)} |"
        )
    table = edition_table(lists)
    if table:
        lines += ["", "## Editions", *table]
    for c in lists:
        spec = c.spec
        lines += ["", f"## {_text(spec.heading)}", "", f"Key `{c.key}`; {_text(spec.status)}."]
        if spec.note:
            lines[-1] += f" Listed: {_text(spec.note)}."
        if not spec.required:
            lines[-1] += " Entries no threat cites are shown for reference, not as gaps."
        lines += [
            "",
            "| entry | name | threats |" + (" open findings |" if fired is not None else ""),
            "|---|---|---|" + ("---:|" if fired is not None else ""),
        ]
        for e in c.entries:
            name = _text(e.name) + (f" (was {_code(e.same_as)})" if e.same_as else "")
            threats = ", ".join(f"[{t}](threats/{t}.md)" for t in e.threats)
            threats = threats or ("**not covered**" if spec.required else "—")
            row = f"| {_code(e.reference)} | {name} | {threats} |"
            if fired is not None:
                row += f" {fired[e.reference]} |"
            lines.append(row)
    return "\n".join(lines) + "\n"
