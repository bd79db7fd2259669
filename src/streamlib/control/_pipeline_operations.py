"""Operations on pipeline files: ``load_pipeline`` and ``save_pipeline``.

The text is the pipeline-file format ``streamlib run`` reads (YAML or JSON)::

    processors:
      src: {type: TestPattern, config: {width: 320, height: 240}}
      fx: {type: Brightness, config: {gain: 1.5}}
    connections:
      - src.video -> fx.video_in

Files are written to the ``--allow-write`` directory only, and read from it or an
``--allow-read`` directory; the text itself can always be passed in and is always
returned. A saved file holds only non-default config fields, paths relative to its
folder and profiles loading would not choose by itself (``_saving``); a loaded file's
relative paths count from its folder (text's from the write directory), so what is
saved loads back the same. Every processor's
type and config is checked against the grants on the parsed file, before any
processor is built: a refused plug-in is never loaded, a refused path never looked at.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..core import ConfigError, PermissionDeniedError, PipelineFileError, RegistryError
from ..pipelines import (
    PipelineSpec,
    dump_pipeline,
    graph_from_spec,
    load_pipeline_file,
    parse_pipeline,
    processor_types,
)
from ._host import PipelineHost
from ._local_code import check_local_code
from ._operation import Operation, OperationArguments
from ._saving import saved_document

__all__ = ["PIPELINE_OPERATIONS"]


class LoadArgs(OperationArguments):
    text: str | None = Field(None, description="Pipeline YAML or JSON text.")
    path: str | None = Field(
        None,
        description="Or a pipeline file in a readable directory; its relative paths "
        "count from its folder.",
    )
    replace: bool = Field(False, description="Remove the current processors first.")


class LoadResult(BaseModel):
    state: str
    added: list[str] = Field(description="Processor ids added.")
    connections: list[str]
    removed: list[str] = Field(description="Processor ids removed first (replace).")


def _load(host: PipelineHost, args: LoadArgs) -> LoadResult:
    if (args.text is None) == (args.path is None):
        raise ConfigError("load_pipeline: give either 'text' (the pipeline) or 'path', not both")
    folder: Path | None = None  # where the file's relative paths count from
    if args.path is not None:
        file = host.permissions.resolve_read_path(args.path, what="'path'")
        spec = load_pipeline_file(file)
        folder = file.parent
    else:
        assert args.text is not None
        spec = parse_pipeline(args.text, path="<text>")
    spec = _granted(host, spec, folder)  # grants first: nothing built, loaded or opened before
    staged = graph_from_spec(spec, host.registry)  # types, configs, ports: errors name the line
    runtime = host.runtime
    removed: list[str] = []
    if args.replace:
        removed = [str(pid) for pid in runtime.graph.topological_order()]
        for pid in removed:  # sources first, so nothing is left waiting on a removed consumer
            runtime.remove(pid)
    refs = runtime.load(spec)  # refuses id clashes before changing anything
    return LoadResult(
        state=runtime.state.value,
        added=[str(ref.id) for ref in refs],
        connections=[str(edge.id) for edge in staged.edges()],
        removed=removed,
    )


def _granted(host: PipelineHost, spec: PipelineSpec, folder: Path | None) -> PipelineSpec:
    """``spec`` with every config as the grants allow it (paths resolved, relative ones from
    ``folder`` when given), checked on the type names and config mappings alone; errors
    name the processor's line."""
    # Plug-in files and MODULE:Class types: the local-code grant and the readable
    # directory are checked before any of them is imported.
    spec = check_local_code(host.permissions, spec)
    classes = processor_types(spec, host.registry)  # imports the granted local modules
    checked = []
    for item in spec.processors:
        try:
            processor_class = classes[item.id]
            config = host.permissions.check_config(processor_class, item.config, relative_to=folder)
        except PermissionDeniedError as error:
            raise PermissionDeniedError(
                f"{spec.path}:{item.line}: processor {item.id!r}: {error}"
            ) from None
        except (RegistryError, ConfigError) as error:
            field = str(error).split(" config: ", 1)[-1].split(":", 1)[0].split(".", 1)[0]
            line = item.config_lines.get(field, item.line)
            raise PipelineFileError(
                f"processor {item.id!r}: {error}", path=spec.path, line=line
            ) from None
        checked.append(dataclasses.replace(item, config=config))
    return dataclasses.replace(spec, processors=tuple(checked))


class SaveArgs(OperationArguments):
    path: str | None = Field(
        None,
        description="Also write it to this file in the writable directory (relative paths "
        "count from there).",
    )
    format: Literal["yaml", "json"] = "yaml"


class SaveResult(BaseModel):
    format: str
    text: str = Field(description="The pipeline file text (load_pipeline takes it back).")
    path: str | None = Field(description="Where it was written, if a path was given.")


def _save(host: PipelineHost, args: SaveArgs) -> SaveResult:
    target = None
    if args.path is not None:  # checked before anything is written
        target = host.permissions.resolve_write_path(args.path, what="'path'")
    # Paths are written relative to where loading counts them from: the file's folder, or
    # for text, the directory load_pipeline counts a text's relative paths from.
    roots = host.permissions.readable_roots
    base = target.parent if target is not None else (roots[0] if roots else None)
    document = saved_document(host.runtime.graph, base=base)
    try:
        spec = parse_pipeline(json.dumps(document, allow_nan=False), path="<graph>")
        text = dump_pipeline(spec, syntax=args.format)
    except (PipelineFileError, ValueError) as error:
        raise ConfigError(f"the graph cannot be written as {args.format}: {error}") from None
    written = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)  # inside the root, checked above
        target.write_text(text, encoding="utf-8")
        written = str(target)
    return SaveResult(format=args.format, text=text, path=written)


PIPELINE_OPERATIONS = (
    Operation(
        "load_pipeline",
        "Add a pipeline file's processors and connections (text or path), all or nothing; "
        "errors name the line. replace: remove the current ones first.",
        LoadArgs,
        LoadResult,
        _load,
    ),
    Operation(
        "save_pipeline",
        "The graph as pipeline-file text (non-default fields only), optionally also "
        "written to a file.",
        SaveArgs,
        SaveResult,
        _save,
    ),
)
