"""Shared test helpers: check a snippet, and get its findings as (code, line, column)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
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


@pytest.fixture
def only() -> Any:
    """`only("ANT401")(source)`: findings of one rule."""

    def make(code: str) -> Any:
        def run(source: str, **settings: Any) -> list[tuple[str, int, int]]:
            return findings(source, select=(code,), **settings)

        return run

    return make


def hermetic_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git for a test: no system or user configuration, and no repository found above tmp_path."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
