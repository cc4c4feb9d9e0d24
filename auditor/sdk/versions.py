"""The SDK's facts for one version: the table (auditor.sdk.table) describes the newest SDK and
what changed since the oldest it knows; `release()` applies that history to a target version.

A version is read from text as its release numbers (`0.40.0`, `0.40`, `2.0.0rc1` as `2.0.0`);
"current" means the newest the table knows. Nothing else in auditor compares SDK versions: the
rules ask the Release they are given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from auditor.sdk import table
from auditor.sdk.table import Version

CURRENT = "current"

_RELEASE = re.compile(r"\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(text: str) -> Version | None:
    """The release numbers at the start of a version string (`1.2` is 1.2.0; a pre-release or
    local suffix is ignored), or None when it does not start with one."""
    match = _RELEASE.match(text)
    if match is None or any(len(part or "") > 9 for part in match.groups()):  # no release has such numbers
        return None
    major, minor, micro = (int(part or 0) for part in match.groups())
    return major, minor, micro


def show_version(version: Version) -> str:
    return ".".join(map(str, version))


def target_version(text: str) -> str:
    """A configured `target-sdk-version`, checked and written in full ("0.40" is "0.40.0"), or
    ValueError saying what is wrong. Newer than the table is fine (its newest facts apply);
    older than the oldest it knows is refused, since those SDKs retried differently."""
    text = text.strip()
    if text == CURRENT:
        return text
    if not re.fullmatch(r"\d+(\.\d+){0,2}", text):
        raise ValueError(f'expected "{CURRENT}" or an SDK version such as "0.40.0", got {text!r}')
    version = parse_version(text)
    if version is None:
        raise ValueError(f"not an SDK version: {text[:40]!r}")
    if version < table.OLDEST_VERSION:
        oldest = show_version(table.OLDEST_VERSION)
        raise ValueError(f"auditor knows the SDK from {oldest} on (older ones retried differently): got {text!r}, use {oldest!r} or later")
    return show_version(version)


@dataclass(frozen=True)
class Release:
    """What one SDK version is, as far as the rules care."""

    version: Version
    client_classes: Mapping[str, bool]  # name -> is_async
    exception_parents: Mapping[str, str]
    exception_aliases: Mapping[str, str]
    refuses_long_nonstreamed: bool  # raises ValueError before sending a long non-streamed call
    model_nonstreaming_tokens: Mapping[str, int]
    bearer_key: bool  # the key travels as `Authorization: Bearer`, else as `X-Api-Key`

    @property
    def key_header(self) -> str:
        return "Authorization: Bearer" if self.bearer_key else "X-Api-Key"

    def exception_ancestors(self, name: str) -> list[str]:
        return table.exception_ancestors(name, self.exception_parents)

    def canonical_exception(self, name: str) -> str:
        return self.exception_aliases.get(name, name)


def release(target: str = CURRENT) -> Release:
    """The facts of `target` ("current", or a version string that parse_version reads): a version
    older than the table's oldest is read as the oldest, a newer one as the newest."""
    version = table.NEWEST_VERSION if target == CURRENT else parse_version(target)
    if version is None:
        raise ValueError(f"not an SDK version: {target!r}")
    return _release(min(max(version, table.OLDEST_VERSION), table.NEWEST_VERSION))


@functools.lru_cache(maxsize=None)
def _release(version: Version) -> Release:
    def present(since: Mapping[str, Version], name: str) -> bool:
        return version >= since.get(name, table.OLDEST_VERSION)

    parents = {}
    for name, parent in table.EXCEPTION_PARENTS.items():
        if present(table.EXCEPTION_SINCE, name):
            moved = table.EARLIER_PARENTS.get(name)
            parents[name] = moved[1] if moved is not None and version < moved[0] else parent
    aliases = {name: of for name, of in table.EXCEPTION_ALIASES.items() if present(table.ALIAS_SINCE, name)}
    models: dict[str, int] = {}
    if version >= table.MODEL_NONSTREAMING_TOKENS_SINCE:
        models = {name: limit for name, limit in table.MODEL_NONSTREAMING_TOKENS.items() if present(table.MODEL_LIMIT_SINCE, name)}
        models |= {name: limit for name, (limit, since, until) in table.REMOVED_MODEL_LIMITS.items() if since <= version < until}
    return Release(
        version=version,
        client_classes={name: is_async for name, is_async in table.CLIENT_CLASSES.items() if present(table.CLIENT_SINCE, name)},
        exception_parents=parents,
        exception_aliases=aliases,
        refuses_long_nonstreamed=version >= table.REFUSES_LONG_NONSTREAMED_SINCE,
        model_nonstreaming_tokens=models,
        bearer_key=version >= table.BEARER_KEY_SINCE,
    )
