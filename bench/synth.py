"""Generate synthetic tmcode v1 models of a given size for benchmarks."""

from __future__ import annotations

import argparse
import sys


def synthetic_model(n: int) -> str:
    """Return the YAML text of a model with about ``n`` components and as many flows."""
    out: list[str] = [
        "tmcode: 1",
        "system:",
        f"  name: Synthetic system with {n} components",
        "  lifecycle: production",
        "  controls: [audit_logging]",
        "boundaries:",
        "  internet:",
        "    trust: untrusted",
        "  vendor:",
        "    trust: partner",
        "  corp:",
        "    trust: internal",
        "  vault:",
        "    trust: privileged",
        "    parent: corp",
        "data:",
        "  pii:",
        "    classification: confidential",
        "    tags: [pii]",
        "  secrets:",
        "    classification: restricted",
        "    tags: [secret, credentials]",
        "components:",
    ]
    flows: list[str] = []
    cells = max(1, n // 10)
    for c in range(cells):
        p = f"c{c}"
        out += [
            f"  {p}-user:",
            "    kind: user",
            "    boundary: internet",
            "    audience: public",
            "    authenticated: false",
            f"  {p}-web:",
            "    kind: external_content",
            "    boundary: internet",
            "    content: web",
            f"  {p}-llm:",
            "    kind: llm",
            "    boundary: vendor",
            "    hosting: vendor_api",
            "    system_prompt:",
            "      contains: [business_rules]",
            f"  {p}-agent:",
            "    kind: agent",
            "    boundary: corp",
            f"    model: {p}-llm",
            "    autonomy: supervised",
            "    identity: service_account",
            "    tools:",
            f"      {p}-search:",
            "        scopes: [read]",
            f"      {p}-mailer:",
            "        scopes: [send]",
            "        credential: service_account",
            "        controls: [human_approval]",
            f"      {p}-mem:",
            "        scopes: [read, memory_write]",
            f"      {p}-mcp:",
            "        scopes: [read, write]",
            f"  {p}-search:",
            "    kind: retriever",
            "    boundary: corp",
            f"  {p}-kb:",
            "    kind: vector_store",
            "    boundary: corp",
            "    stores: [pii]",
            "    tenancy: single",
            f"  {p}-mailer:",
            "    kind: tool",
            "    boundary: corp",
            f"  {p}-mem:",
            "    kind: memory",
            "    boundary: corp",
            "    persistent: true",
            "    scope: user",
            f"  {p}-mcp:",
            "    kind: mcp_server",
            "    boundary: corp",
            "    transport: http",
            "    auth: oauth",
            "    source: community",
            f"  {p}-vault:",
            "    kind: secret_store",
            "    boundary: vault",
            "    stores: [secrets]",
        ]
        flows += [
            f"  - {{from: {p}-user, to: {p}-agent, kind: prompt, data: [pii]}}",
            f"  - {{from: {p}-agent, to: {p}-llm, kind: prompt, data: [pii], encrypted: true}}",
            f"  - {{from: {p}-llm, to: {p}-agent, kind: output}}",
            f"  - {{from: {p}-agent, to: {p}-user, kind: output}}",
            f"  - {{from: {p}-web, to: {p}-kb, kind: ingest}}",
            f"  - {{from: {p}-kb, to: {p}-search, kind: retrieval, data: [pii]}}",
            f"  - {{from: {p}-mcp, to: {p}-vault, kind: api, data: [secrets], authenticated: true}}",
            f"  - {{from: {p}-vault, to: {p}-mcp, kind: api, data: [secrets]}}",
            f"  - {{from: {p}-agent, to: {p}-kb, kind: api}}",
            f"  - {{from: {p}-web, to: {p}-mcp, kind: file, controls: [ingest_validation]}}",
        ]
        if c:
            flows.append(f"  - {{from: c{c - 1}-agent, to: {p}-agent, kind: agent_message}}")
    out.append("flows:")
    out += flows
    return "\n".join(out) + "\n"


def main() -> None:
    """Write a synthetic model of N components to standard output."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("components", type=int)
    args = parser.parse_args()
    sys.stdout.write(synthetic_model(args.components))


if __name__ == "__main__":
    main()
