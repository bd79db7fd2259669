"""Processors that need nothing: pass-through and sinks."""
