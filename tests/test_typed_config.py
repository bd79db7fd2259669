"""Typed configs: a processor typed ``Processor[SomeConfig]`` has its ``self.config.x``
checked by strict mypy, and its ``Config`` comes from that one parameter."""

from __future__ import annotations

from pathlib import Path

import pytest

import streamlib as sl

mypy_api = pytest.importorskip("mypy.api")

_MODULE = """\
from __future__ import annotations

import streamlib as sl


class StripeConfig(sl.ProcessorConfig):
    width: int = 8


class Stripe(sl.Processor[StripeConfig]):
    def process(self) -> None:
        stripe: int = self.config.{field}
        del stripe
"""


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for both runs: the second checks only the small module again."""
    return tmp_path_factory.mktemp("mypy_cache")


def _check(tmp_path: Path, cache: Path, field: str) -> tuple[str, int]:
    module = tmp_path / "stripe.py"
    module.write_text(_MODULE.format(field=field))
    stdout, stderr, status = mypy_api.run(
        [
            str(module),
            "--strict",
            "--cache-dir",
            str(cache),
            "--config-file",
            "",  # the file alone, not the project's settings and file list
        ]
    )
    return stdout + stderr, status


def test_a_misspelt_config_field_fails_strict_type_checking(
    tmp_path: Path, mypy_cache: Path
) -> None:
    report, status = _check(tmp_path, mypy_cache, "widht")
    assert status == 1, report
    assert '"StripeConfig" has no attribute "widht"' in report


def test_a_correctly_spelt_config_field_type_checks(tmp_path: Path, mypy_cache: Path) -> None:
    report, status = _check(tmp_path, mypy_cache, "width")
    assert status == 0, report


class _StripeConfig(sl.ProcessorConfig):
    width: int = 8


def test_the_type_parameter_sets_config() -> None:
    class Stripe(sl.Processor[_StripeConfig]):
        def process(self) -> None:
            pass

    assert Stripe.Config is _StripeConfig
    assert Stripe(width=4).config.width == 4


def test_a_config_that_disagrees_with_the_type_parameter_is_refused() -> None:
    class Other(sl.ProcessorConfig):
        pass

    with pytest.raises(TypeError, match="typed with _StripeConfig"):

        class Stripe(sl.Processor[_StripeConfig]):
            Config = Other


def test_an_untyped_processor_with_a_nested_config_still_works() -> None:
    class Gain(sl.Processor):
        class Config(sl.ProcessorConfig):
            factor: float = 1.0

    assert Gain(factor=2.0).config.factor == 2.0
