"""auditor carries the SDK's facts as a table; these tests fail when the installed SDK drifts
from what the table says of that SDK's own version (auditor.sdk.versions).

They run against whichever `anthropic` is installed, new or old, so that CI can check an old
release too. By hand, against any version (see "Contributing" in the README):

    python -m venv /tmp/sdk-0.40 && /tmp/sdk-0.40/bin/pip install -e . pytest anthropic==0.40.0
    /tmp/sdk-0.40/bin/python -m pytest -q tests/test_sdk_drift.py

(An SDK older than 0.40 also needs `httpx<0.28`.)
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from auditor.sdk import table as sdk_table
from auditor.sdk.versions import parse_version, release

anthropic = pytest.importorskip("anthropic")
from anthropic import _constants  # noqa: E402
from anthropic._base_client import AsyncAPIClient, BaseClient  # noqa: E402
from loopback_api import LoopbackAPI  # noqa: E402

INSTALLED = release(anthropic.__version__)
KEY = "sk-drift-test-key-0123456789"


def _exported_classes(base: type) -> dict[str, type]:
    return {
        name: value
        for name in dir(anthropic)
        if not name.startswith("_")
        and inspect.isclass(value := getattr(anthropic, name))
        and issubclass(value, base)
    }


def test_the_table_knows_this_version() -> None:
    """An SDK older than the table's oldest would be judged by another version's facts."""
    installed = parse_version(anthropic.__version__)
    assert installed is not None and installed >= sdk_table.OLDEST_VERSION
    if installed <= sdk_table.NEWEST_VERSION:
        assert INSTALLED.version == installed


def test_client_classes_match() -> None:
    installed = {name: issubclass(cls, AsyncAPIClient) for name, cls in _exported_classes(BaseClient).items()}
    assert dict(INSTALLED.client_classes) == installed


def test_exception_tree_matches() -> None:
    exported = _exported_classes(BaseException)
    installed = {}
    for name, cls in exported.items():
        (base,) = cls.__bases__
        installed[name] = base.__name__
    assert dict(INSTALLED.exception_parents) == installed
    aliases = {name: cls.__name__ for name, cls in exported.items() if cls.__name__ != name}
    assert dict(INSTALLED.exception_aliases) == aliases


def test_exception_ancestors_follow_the_real_mro() -> None:
    for name, cls in _exported_classes(BaseException).items():
        real = [c.__name__ for c in cls.__mro__ if c is not object]
        canonical = [INSTALLED.canonical_exception(n) for n in INSTALLED.exception_ancestors(name)]
        assert canonical == real, name


def test_non_transient_errors_are_the_same_in_every_version() -> None:
    """ANT303 names the non-transient base of a class from the newest tree: the classes that moved
    between versions never moved under or away from one."""
    for name in INSTALLED.exception_parents:
        ancestors = INSTALLED.exception_ancestors(INSTALLED.canonical_exception(name))
        own = next((base for base in ancestors if base in sdk_table.NON_TRANSIENT_ERRORS), None)
        assert own == sdk_table.non_transient_base(name), name


def _retry_delay(name: str) -> float:
    """INITIAL_RETRY_DELAY / MAX_RETRY_DELAY: constants since 0.10.0, literals in the retry code before."""
    if hasattr(_constants, name):
        return float(getattr(_constants, name))
    source = inspect.getsource(BaseClient._calculate_retry_timeout)
    match = re.search(rf"{name.lower()} = ([0-9.]+)", source)
    assert match is not None, name
    return float(match.group(1))


def test_constants_match() -> None:
    assert _constants.DEFAULT_TIMEOUT.read == sdk_table.DEFAULT_TIMEOUT_SECONDS
    assert _constants.DEFAULT_TIMEOUT.connect == sdk_table.DEFAULT_CONNECT_TIMEOUT_SECONDS
    assert _constants.DEFAULT_MAX_RETRIES == sdk_table.DEFAULT_MAX_RETRIES
    assert _retry_delay("INITIAL_RETRY_DELAY") == sdk_table.INITIAL_RETRY_DELAY
    assert _retry_delay("MAX_RETRY_DELAY") == sdk_table.MAX_RETRY_DELAY
    assert getattr(_constants, "MODEL_NONSTREAMING_TOKENS", {}) == dict(INSTALLED.model_nonstreaming_tokens)


def _create(api: LoopbackAPI, **arguments: Any) -> str:
    """One non-streamed `messages.create` against the loopback API: "refused" when the SDK raised
    ValueError before sending, "sent" when the server received it and the call returned."""
    client = anthropic.Anthropic(api_key=KEY, base_url=api.url, max_retries=0)
    before = len(api.requests)
    try:
        client.messages.create(messages=[{"role": "user", "content": "hi"}], **arguments)
    except ValueError:
        assert len(api.requests) == before
        return "refused"
    assert len(api.requests) == before + 1
    return "sent"


@pytest.fixture
def api() -> Any:
    if not hasattr(anthropic.Anthropic(api_key=KEY), "messages"):
        pytest.skip("this SDK predates the Messages API: only `completions`, which has no guard")
    with LoopbackAPI() as server:
        yield server


def test_the_nonstreaming_guard_matches(api: LoopbackAPI) -> None:
    """Above 21,333 tokens, a non-streamed call is refused from 0.47.0 on and sent before."""
    limit = sdk_table.NONSTREAMING_TOKEN_LIMIT
    assert _create(api, model="claude-test", max_tokens=limit) == "sent"
    expected = "refused" if INSTALLED.refuses_long_nonstreamed else "sent"
    assert _create(api, model="claude-test", max_tokens=limit + 1) == expected
    assert _create(api, model="claude-test", max_tokens=limit + 1, timeout=3600) == "sent"


def test_the_per_model_limits_match(api: LoopbackAPI) -> None:
    """Every model the table limits for this version is refused above its limit, and the
    models of other versions' tables are not."""
    every = {**sdk_table.MODEL_NONSTREAMING_TOKENS, **{name: limit for name, (limit, _, _) in sdk_table.REMOVED_MODEL_LIMITS.items()}}
    for model, limit in every.items():
        limited = model in INSTALLED.model_nonstreaming_tokens
        assert _create(api, model=model, max_tokens=limit + 1) == ("refused" if limited else "sent"), model
        if limited:
            assert _create(api, model=model, max_tokens=limit) == "sent", model


def test_the_key_travels_in_the_header_the_table_says(api: LoopbackAPI) -> None:
    _create(api, model="claude-test", max_tokens=16)
    headers = api.requests[-1].headers
    if INSTALLED.bearer_key:
        assert (headers.get("authorization"), headers.get("x-api-key")) == (f"Bearer {KEY}", None)
    else:
        assert (headers.get("x-api-key"), headers.get("authorization")) == (KEY, None)


def test_generation_resources_exist() -> None:
    """The table's generation methods are those of the newest SDK, on purpose (code written for
    one version is read with the same eyes): an older SDK has fewer, and fewer response wrappers
    (`with_streaming_response` arrived after `beta.messages`). The newest must have every one."""
    client = anthropic.Anthropic(api_key=KEY)
    newest = INSTALLED.version == sdk_table.NEWEST_VERSION
    for path in sdk_table.GENERATION_RESOURCES - sdk_table.LEGACY_GENERATION_RESOURCES:
        resource = client
        for part in path:
            resource = getattr(resource, part, None)
        if resource is None:
            assert not newest, path
            continue
        for method in sdk_table.GENERATION_METHODS - sdk_table.REQUEST_LOOPS:
            assert callable(getattr(resource, method, None)) or not newest, (path, method)
        if path[0] == "beta":
            for method in sdk_table.REQUEST_LOOPS:
                assert callable(getattr(resource, method, None)) or not newest, (path, method)
        for wrapper in sdk_table.RESPONSE_WRAPPERS:
            assert hasattr(resource, wrapper) or not newest, (path, wrapper)
    for deriver in sdk_table.CLIENT_DERIVERS:
        assert callable(getattr(client, deriver))
