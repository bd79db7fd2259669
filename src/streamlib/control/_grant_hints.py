"""How a refusal tells the caller to get a grant: one phrase for every face.

The grant flags (``--allow-camera``, ``--allow-write DIR``...) are the same on every
command that serves a pipeline (``streamlib mcp``, ``streamlib serve``,
``streamlib run --web``), so a refusal names them the same way everywhere.
"""

from __future__ import annotations

__all__ = ["RESTART_WITH"]

RESTART_WITH = "restart the server (`streamlib mcp` or `streamlib serve`) with"
"""Followed by the flag: "ask the user to {RESTART_WITH} --allow-camera"."""
