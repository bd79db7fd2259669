"""One catalogue of built-in processors: pyproject's entry points.

``streamlib.processors.__all__``, the lazy name map behind it, the installed entry
points and ``Registry.default()`` must all name the same processors, and each name must
lead to the same class. Nothing else lists the 40 names: a processor added in one
place and forgotten in another fails here, naming the place.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import streamlib
import streamlib.processors
from streamlib.core import ENTRY_POINT_GROUP

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# Exported from streamlib.processors beside the processors: what their statistics() return.
NOT_PROCESSORS = {"AudioDeviceStatistics", "ClapEffectStatistics"}


def declared_entry_points() -> dict[str, str]:
    """``name -> "module:attribute"`` as written in pyproject.toml."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared: dict[str, str] = project["entry-points"][ENTRY_POINT_GROUP]
    return declared


def builtin_names() -> set[str]:
    return set(declared_entry_points())


def defined_processor_classes() -> dict[str, type[streamlib.Processor]]:
    """Every public, concrete processor class the processors package defines."""
    found: dict[str, type[streamlib.Processor]] = {}
    package = streamlib.processors
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, streamlib.Processor)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and not inspect.isabstract(value)
            ):
                found[name] = value
    # A family base (EncoderProcessor, ...) is public for its members; it is a processor
    # of its own only if catalogued (ToneSource, which ChordGenerator extends).
    bases = {
        name
        for name, cls in found.items()
        if name not in builtin_names()
        and any(other is not cls and issubclass(other, cls) for other in found.values())
    }
    return {name: cls for name, cls in found.items() if name not in bases}


def test_entry_points_name_the_attribute_they_point_at() -> None:
    for name, target in declared_entry_points().items():
        assert target == f"streamlib.processors:{name}", (
            f"pyproject.toml: entry point {name} = {target!r}; "
            f"write {name} = 'streamlib.processors:{name}'"
        )


def test_installed_entry_points_match_pyproject() -> None:
    installed = {
        entry.name: entry.value
        for entry in entry_points(group=ENTRY_POINT_GROUP)
        if entry.dist is not None and entry.dist.name == "streamlib"
    }
    assert installed == declared_entry_points(), (
        "the installed metadata is older than pyproject.toml: run `pip install -e .`"
    )


def test_processors_all_is_the_entry_points_plus_the_statistics_records() -> None:
    exported = set(streamlib.processors.__all__)
    missing = builtin_names() - exported
    extra = exported - builtin_names() - NOT_PROCESSORS
    assert not missing, f"in pyproject's entry points but not in processors.__all__: {missing}"
    assert not extra, f"in processors.__all__ but no entry point in pyproject.toml: {extra}"
    assert exported >= NOT_PROCESSORS


def test_every_exported_name_has_a_lazy_home() -> None:
    home = streamlib.processors._HOME
    assert set(home) == set(streamlib.processors.__all__)
    for name, module in home.items():
        defined = importlib.import_module(f"streamlib.processors.{module}")
        assert getattr(defined, name) is getattr(streamlib.processors, name)


def test_every_processor_class_the_package_defines_is_catalogued() -> None:
    defined = defined_processor_classes()
    assert set(defined) == builtin_names(), (
        "processor classes defined but not catalogued (or catalogued but not defined): "
        f"{set(defined) ^ builtin_names()}"
    )


@pytest.mark.parametrize("name", sorted(builtin_names()))
def test_entry_point_registry_and_attribute_are_one_class(name: str) -> None:
    attribute = getattr(streamlib.processors, name)
    (entry,) = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == name]
    registry = streamlib.Registry.default()
    assert name not in registry.load_errors, registry.load_errors.get(name)
    assert entry.load() is attribute
    assert registry.get(name) is attribute
    assert attribute.type_name == name


def test_the_registry_holds_no_builtin_without_an_entry_point() -> None:
    registry = streamlib.Registry.default()
    builtins = {
        name
        for name in registry.names()
        if registry.get(name).__module__.startswith("streamlib.processors.")
    }
    assert builtins == builtin_names()
