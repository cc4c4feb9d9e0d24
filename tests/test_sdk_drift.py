"""auditor carries the SDK's facts as a table; these tests fail when the installed SDK drifts."""

from __future__ import annotations

import inspect

import pytest

from auditor.sdk import table as sdk_table

anthropic = pytest.importorskip("anthropic")
from anthropic import _constants  # noqa: E402
from anthropic._base_client import AsyncAPIClient, BaseClient  # noqa: E402


def _exported_classes(base: type) -> dict[str, type]:
    return {
        name: value
        for name in dir(anthropic)
        if not name.startswith("_")
        and inspect.isclass(value := getattr(anthropic, name))
        and issubclass(value, base)
    }


def test_client_classes_match() -> None:
    installed = {name: issubclass(cls, AsyncAPIClient) for name, cls in _exported_classes(BaseClient).items()}
    assert sdk_table.CLIENT_CLASSES == installed


def test_exception_tree_matches() -> None:
    exported = _exported_classes(BaseException)
    installed = {}
    for name, cls in exported.items():
        (base,) = cls.__bases__
        installed[name] = base.__name__
    assert sdk_table.EXCEPTION_PARENTS == installed
    aliases = {name: cls.__name__ for name, cls in exported.items() if cls.__name__ != name}
    assert sdk_table.EXCEPTION_ALIASES == aliases


def test_exception_ancestors_follow_the_real_mro() -> None:
    for name, cls in _exported_classes(BaseException).items():
        real = [c.__name__ for c in cls.__mro__ if c is not object]
        canonical = [sdk_table.canonical_exception(n) for n in sdk_table.exception_ancestors(name)]
        assert canonical == real, name


def test_constants_match() -> None:
    assert _constants.DEFAULT_TIMEOUT.read == sdk_table.DEFAULT_TIMEOUT_SECONDS
    assert _constants.DEFAULT_TIMEOUT.connect == sdk_table.DEFAULT_CONNECT_TIMEOUT_SECONDS
    assert _constants.DEFAULT_MAX_RETRIES == sdk_table.DEFAULT_MAX_RETRIES
    assert _constants.INITIAL_RETRY_DELAY == sdk_table.INITIAL_RETRY_DELAY
    assert _constants.MAX_RETRY_DELAY == sdk_table.MAX_RETRY_DELAY
    assert _constants.MODEL_NONSTREAMING_TOKENS == sdk_table.MODEL_NONSTREAMING_TOKENS


def test_nonstreaming_limit_matches_the_sdk_guard() -> None:
    client = anthropic.Anthropic(api_key="test-key")
    limit = sdk_table.NONSTREAMING_TOKEN_LIMIT
    client._calculate_nonstreaming_timeout(limit, None)
    with pytest.raises(ValueError, match="Streaming is required"):
        client._calculate_nonstreaming_timeout(limit + 1, None)


def test_generation_resources_exist() -> None:
    client = anthropic.Anthropic(api_key="test-key")
    for path in sdk_table.GENERATION_RESOURCES - sdk_table.LEGACY_GENERATION_RESOURCES:
        resource = client
        for part in path:
            resource = getattr(resource, part)
        for method in sdk_table.GENERATION_METHODS - sdk_table.REQUEST_LOOPS:
            assert callable(getattr(resource, method)), (path, method)
        if path[0] == "beta":
            for method in sdk_table.REQUEST_LOOPS:
                assert callable(getattr(resource, method)), (path, method)
        for wrapper in sdk_table.RESPONSE_WRAPPERS:
            assert hasattr(resource, wrapper)
    for deriver in sdk_table.CLIENT_DERIVERS:
        assert callable(getattr(client, deriver))
