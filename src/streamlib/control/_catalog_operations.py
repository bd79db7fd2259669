"""Operations that tell an agent which processor types exist: ``list_processor_types``,
``describe_processor_type``."""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel, Field

from ._host import PipelineHost
from ._operation import Operation, OperationArguments
from ._schemas import untitled, with_tag_enum
from ._views import PortView, TypePorts, TypeSummary, port_view, type_ports, type_summary

__all__ = ["CATALOG_OPERATIONS", "DescribeTypeArgs", "DescribeTypeResult", "describe_type"]


class ListTypesArgs(OperationArguments):
    tag: str | None = Field(None, description="Only types with this tag.")
    detail: bool = Field(False, description="Add ports and capabilities.")


class ListTypesResult(BaseModel):
    types: list[TypeSummary]
    granted_permissions: list[str] = Field(description="What this server was allowed to reach.")
    ports: dict[str, TypePorts] | None = Field(
        None, description="With detail: each type's ports and capabilities, by type name."
    )


def _list_types(host: PipelineHost, args: ListTypesArgs) -> ListTypesResult:
    descriptors = host.registry.descriptors(tag=args.tag)
    return ListTypesResult(
        types=[type_summary(d, host.permissions) for d in descriptors],
        granted_permissions=sorted(host.permissions.granted),
        ports={d.name: type_ports(d) for d in descriptors} if args.detail else None,
    )


class DescribeTypeArgs(OperationArguments):
    name: str = Field(description="A type name, e.g. 'TestPattern'.")


class DescribeTypeResult(BaseModel):
    name: str
    description: str
    tags: list[str]
    scheduling: str = Field(description="push, loop, pull or timer.")
    inputs: list[PortView]
    outputs: list[PortView]
    config_schema: dict[str, Any] = Field(description="JSON Schema of add_processor's config.")
    live_fields: list[str] = Field(description="Fields set_config may change while running.")
    write_path_fields: list[str] = Field(description="Paths it writes (--allow-write DIR).")
    read_path_fields: list[str] = Field(description="Paths it reads (--allow-read DIR).")
    reach_fields: dict[str, str] = Field(
        description="Fields naming something outside: url, media (file or URL), device, "
        "library, ffmpeg_graph/format/options."
    )
    capabilities: list[str]
    permitted: bool
    missing_permissions: list[str]


def describe_type(host: PipelineHost, args: DescribeTypeArgs) -> DescribeTypeResult:
    descriptor = host.registry.describe(args.name)
    config = descriptor.processor_class.Config
    summary = type_summary(descriptor, host.permissions)
    return DescribeTypeResult(
        name=descriptor.name,
        description=descriptor.description,
        tags=list(descriptor.tags),
        scheduling=descriptor.scheduling,
        inputs=[port_view(p) for p in descriptor.inputs],
        outputs=[port_view(p) for p in descriptor.outputs],
        config_schema=untitled(descriptor.config_schema),
        live_fields=sorted(config.live_fields()),
        write_path_fields=sorted(config.write_path_fields()),
        read_path_fields=sorted(config.read_path_fields()),
        reach_fields=dict(sorted(config.reach_fields().items())),
        capabilities=list(descriptor.capabilities),
        permitted=summary.permitted,
        missing_permissions=summary.missing_permissions,
    )


CATALOG_OPERATIONS = (
    Operation(
        "list_processor_types",
        "The processor types: name, summary, tags, whether permitted here (detail: ports too).",
        ListTypesArgs,
        ListTypesResult,
        _list_types,
        read_only=True,
        schema_hook=partial(with_tag_enum, field="tag"),
    ),
    Operation(
        "describe_processor_type",
        "One processor type: ports, config JSON Schema (for add_processor), live fields "
        "(set_config while running), permissions needed.",
        DescribeTypeArgs,
        DescribeTypeResult,
        describe_type,
        read_only=True,
    ),
)
