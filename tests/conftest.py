"""Shared test helpers: check a snippet, and get its findings as (code, line, column)."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

import pytest

from auditor.api import check_source
from auditor.config import Settings


def findings(source: str, **settings: Any) -> list[tuple[str, int, int]]:
    """(code, line, column) of every finding in `source` (dedented), in order."""
    config = dataclasses.replace(Settings(), **settings)
    return [(f.code, f.span.line, f.span.column) for f in check_source(textwrap.dedent(source), config)]


def messages(source: str, **settings: Any) -> list[str]:
    config = dataclasses.replace(Settings(), **settings)
    return [f"{f.code} {f.message}" for f in check_source(textwrap.dedent(source), config)]


@pytest.fixture(autouse=True)
def _no_ci_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run the same inside a CI job: its checkout variables would move report paths."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)


@pytest.fixture
def only() -> Any:
    """`only("ANT401")(source)`: findings of one rule."""

    def make(code: str) -> Any:
        def run(source: str, **settings: Any) -> list[tuple[str, int, int]]:
            return findings(source, select=(code,), **settings)

        return run

    return make
