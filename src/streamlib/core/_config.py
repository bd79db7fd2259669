"""Processor configuration: a pydantic model per processor type.

::

    class TestPattern(sl.Processor):
        class Config(sl.ProcessorConfig):
            width: int = Field(640, ge=16, le=7680)
            pattern: Literal["bars", "gradient"] = sl.live_field("bars")

Configs are immutable and validated on construction; their JSON Schema goes into
the processor's descriptor. Fields made with :func:`live_field` may be changed
while the processor runs (``Runtime.update_config``); the others need a restart.

A field whose value names something outside the process says so, so whoever
grants permissions (``streamlib mcp``) checks the value before any processor is
built: :func:`path_field` for files read or written, :func:`reach_field` for URLs,
devices, native libraries and text FFmpeg interprets (filter graphs, formats,
options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import ConfigError
from ._suggest import did_you_mean_listing, renamed_hint

__all__ = ["REACHES", "ProcessorConfig", "Reach", "live_field", "path_field", "reach_field"]

C = TypeVar("C", bound="ProcessorConfig")

_LIVE_KEY = "live"
_PATH_KEY = "path"
_REACH_KEY = "reaches"
_INPUT_KEY = "input"

Reach = Literal[
    "url", "media", "device", "library", "ffmpeg_graph", "ffmpeg_format", "ffmpeg_options"
]
"""What a :func:`reach_field`'s value names outside the process:

- ``url``: a network address (``http://``, ``stun:``...): needs the network grant;
- ``media``: what FFmpeg opens, a file path (read, confined like a read
  ``path_field``) or a network URL (network grant);
- ``device``: a capture or playback device (the processor type's device grant);
- ``library``: a native library loaded into the process (the plugins grant);
- ``ffmpeg_graph``: a libavfilter graph (``testsrc2=size=640x480,hflip``);
- ``ffmpeg_format``: an FFmpeg input format or device name (``mpegts``, ``v4l2``);
- ``ffmpeg_options``: FFmpeg (AVOption) options, ``{name: value}``.

The three ``ffmpeg_*`` kinds are code-like: beyond a small allow-list they need the
dedicated raw-FFmpeg grant.
"""

REACHES: frozenset[str] = frozenset(Reach.__args__)  # type: ignore[attr-defined]
"""Every :data:`Reach` kind."""


def live_field(default: Any, *, description: str | None = None, **constraints: Any) -> Any:
    """A config field that may change while the processor runs.

    ``constraints`` are pydantic's (``ge``, ``le``, ``pattern``...). The JSON
    Schema marks the field with ``"live": true``.
    """
    return Field(
        default, description=description, json_schema_extra={_LIVE_KEY: True}, **constraints
    )


def path_field(
    default: Any,
    *,
    access: Literal["write", "read"] = "write",
    description: str | None = None,
    **constraints: Any,
) -> Any:
    """A config field holding a path the processor writes (a recording) or reads (a shader).

    The JSON Schema marks it ``"path": "write"`` or ``"path": "read"``, so whoever
    grants permissions (the MCP server's ``--allow-write DIR``) can check it
    before anything runs.
    """
    return Field(
        default, description=description, json_schema_extra={_PATH_KEY: access}, **constraints
    )


def reach_field(
    default: Any,
    *,
    reaches: Reach,
    media_field: str | None = None,
    description: str | None = None,
    **constraints: Any,
) -> Any:
    """A config field whose value names a URL, device, library or FFmpeg text (see :data:`Reach`).

    The JSON Schema marks it ``"reaches": "<kind>"``, so permissions are checked on the
    value before the processor exists. ``media_field`` ties ``ffmpeg_format`` and
    ``ffmpeg_options`` fields to the ``media`` field they open::

        path: str = reach_field(..., reaches="media")
        options: dict[str, str] = reach_field({}, reaches="ffmpeg_options", media_field="path")
    """
    if reaches not in REACHES:
        raise TypeError(f"reaches={reaches!r}; use one of {sorted(REACHES)}")
    extra: dict[str, Any] = {_REACH_KEY: reaches}
    if media_field is not None:
        extra[_INPUT_KEY] = media_field
    return Field(default, description=description, json_schema_extra=extra, **constraints)


class ProcessorConfig(BaseModel):
    """Base of every processor's ``Config``: frozen, and unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    renamed_fields: ClassVar[Mapping[str, str]] = {}
    """Old field name -> new one, for fields renamed in the last release: an old
    name is refused with "'x' was renamed to 'y'" instead of a guess."""

    @classmethod
    def live_fields(cls) -> frozenset[str]:
        """Names of the fields that may change while running."""
        return frozenset(
            name
            for name, field in cls.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get(_LIVE_KEY)
        )

    @classmethod
    def write_path_fields(cls) -> frozenset[str]:
        """Names of the fields holding paths the processor writes."""
        return cls._path_fields("write")

    @classmethod
    def read_path_fields(cls) -> frozenset[str]:
        """Names of the fields holding paths the processor reads."""
        return cls._path_fields("read")

    @classmethod
    def _path_fields(cls, access: str) -> frozenset[str]:
        return frozenset(
            name
            for name, field in cls.model_fields.items()
            if isinstance(field.json_schema_extra, dict)
            and field.json_schema_extra.get(_PATH_KEY) == access
        )

    @classmethod
    def reach_fields(cls) -> dict[str, Reach]:
        """``{field name: what it reaches}`` for the fields made with :func:`reach_field`."""
        return {
            name: field.json_schema_extra[_REACH_KEY]  # type: ignore[misc]
            for name, field in cls.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and _REACH_KEY in field.json_schema_extra
        }

    @classmethod
    def input_field_of(cls, name: str) -> str | None:
        """The ``media`` field that ``name`` (an FFmpeg format or options field) opens."""
        extra = cls.model_fields[name].json_schema_extra
        value = extra.get(_INPUT_KEY) if isinstance(extra, dict) else None
        return value if isinstance(value, str) else None

    @classmethod
    def parse(cls: type[C], values: C | Mapping[str, Any] | None, *, owner: str) -> C:
        """Validate ``values`` into this config; ``ConfigError`` names each bad field."""
        if isinstance(values, cls):
            return values
        if values is not None and not isinstance(values, Mapping):
            raise ConfigError(
                f"{owner} config must be a mapping of field names to values, "
                f"not {type(values).__name__}"
            )
        try:
            return cls.model_validate(dict(values or {}))
        except ValidationError as error:
            raise ConfigError(describe_validation_error(error, owner=owner, model=cls)) from None

    def updated(self: C, changes: Mapping[str, Any], *, owner: str) -> C:
        """A validated copy with ``changes`` applied (all fields revalidated together)."""
        return type(self).parse({**self.model_dump(), **changes}, owner=owner)


def describe_validation_error(error: ValidationError, *, owner: str, model: type[BaseModel]) -> str:
    """One readable line per problem, with the valid field names for typos."""
    problems: list[str] = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "config"
        if item["type"] == "extra_forbidden":
            name = str(item["loc"][-1])
            renamed = renamed_hint(name, getattr(model, "renamed_fields", {}))
            if renamed is not None:
                problems.append(f"{where}: {renamed}")
                continue
            hint = did_you_mean_listing(name, model.model_fields, what="fields")
            problems.append(f"{where}: unknown field; {hint}")
        else:
            problems.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
    return f"invalid {owner} config: " + "; ".join(problems)
