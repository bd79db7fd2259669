"""The one message for a command whose optional extra is not installed."""

from __future__ import annotations

__all__ = ["missing_extra"]


def missing_extra(what: str, extra: str, error: ImportError) -> str:
    """``"the web API needs the 'web' extra (No module named ...); install it with: ..."``."""
    return (
        f"{what} needs the '{extra}' extra ({error}); "
        f"install it with: pip install 'streamlib[{extra}]'"
    )
