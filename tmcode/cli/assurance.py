"""Governance: the assurance cross-walk."""

from tmcode.assurance_cli import register as register

__all__ = ["register"]
