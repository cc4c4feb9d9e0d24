"""What auditor knows about the `anthropic` package, as a table: lint time never imports the SDK.

The tables below describe the newest SDK auditor knows (NEWEST_VERSION); what changed since
OLDEST_VERSION is data too, in the "History" section, and auditor.sdk.versions turns it into the
facts of any one version. `tests/test_sdk_drift.py` compares the facts of the installed package's
version with the package itself, so a new SDK release that adds a client or moves an exception
fails CI instead of silently going unrecognised, and CI can run it against an old SDK as well.
"""

from __future__ import annotations

from collections.abc import Mapping

SDK_MODULE = "anthropic"

Version = tuple[int, int, int]

# Exported client classes, by their public name. `Client`/`AsyncClient` are aliases of the first two.
CLIENT_CLASSES: dict[str, bool] = {  # name -> is_async
    "Anthropic": False,
    "AsyncAnthropic": True,
    "Client": False,
    "AsyncClient": True,
    "AnthropicAWS": False,
    "AsyncAnthropicAWS": True,
    "AnthropicBedrock": False,
    "AsyncAnthropicBedrock": True,
    "AnthropicBedrockMantle": False,
    "AsyncAnthropicBedrockMantle": True,
    "AnthropicFoundry": False,
    "AsyncAnthropicFoundry": True,
    "AnthropicGoogleCloud": False,
    "AsyncAnthropicGoogleCloud": True,
    "AnthropicVertex": False,
    "AsyncAnthropicVertex": True,
}

# Exception classes exported by `anthropic`, each mapped to its base class (the SDK's own tree).
EXCEPTION_PARENTS: dict[str, str] = {
    "AnthropicError": "Exception",
    "APIError": "AnthropicError",
    "APIStatusError": "APIError",
    "APIConnectionError": "APIError",
    "APITimeoutError": "APIConnectionError",
    "APIResponseValidationError": "APIError",
    "APIWebhookValidationError": "APIError",
    "RetryableError": "AnthropicError",
    "CredentialsError": "AnthropicError",
    "IdentityTokenFileError": "CredentialsError",
    "WorkloadIdentityError": "AnthropicError",
    "BadRequestError": "APIStatusError",
    "AuthenticationError": "APIStatusError",
    "PaymentRequiredError": "APIStatusError",
    "PermissionDeniedError": "APIStatusError",
    "NotFoundError": "APIStatusError",
    "RequestTimeoutError": "APIStatusError",
    "ConflictError": "APIStatusError",
    "PreconditionFailedError": "APIStatusError",
    "ContentTooLargeError": "APIStatusError",
    "RequestTooLargeError": "APIStatusError",  # alias of ContentTooLargeError
    "UnprocessableEntityError": "APIStatusError",
    "RateLimitError": "APIStatusError",
    "RequestHeaderFieldsTooLargeError": "APIStatusError",
    "ClientClosedRequestError": "APIStatusError",
    "InternalServerError": "APIStatusError",
    "HTTPNotImplementedError": "InternalServerError",
    "ServiceUnavailableError": "InternalServerError",
    "GatewayTimeoutError": "InternalServerError",
    "DeadlineExceededError": "InternalServerError",  # alias of GatewayTimeoutError
    "OverloadedError": "InternalServerError",
    "CMEKKeyDisabledError": "BadRequestError",
    "CMEKKeyNetworkBlockedError": "BadRequestError",
    "ClaudeCodeKeyCreatorNotMemberError": "BadRequestError",
    "ClaudeCodeVersionTooOldError": "BadRequestError",
    "OrganizationOnHoldError": "BadRequestError",
    "OrganizationTypeNotSupportedError": "BadRequestError",
    "ParentOrganizationRequiredError": "BadRequestError",
    "RequestBodyEncodingInvalidError": "BadRequestError",
    "RequestBodyEncodingUnsupportedError": "BadRequestError",
    "WorkspaceHumanReviewDisabledError": "BadRequestError",
    "SandboxEgressRestrictedError": "PermissionDeniedError",
    "LinkedOrganizationBillingUnavailableError": "PaymentRequiredError",
    "LinkedOrganizationSpendLimitReachedError": "PaymentRequiredError",
    "RequestBodyTooLargeAfterDecodingError": "ContentTooLargeError",
    "ContractSpendLimitReachedError": "RateLimitError",
    "EnforcedSpendLimitReachedError": "RateLimitError",
    "RampLimitExceededError": "RateLimitError",
    "CMEKContextUnavailableError": "ServiceUnavailableError",
    "CMEKKeyUnreachableError": "ServiceUnavailableError",
}

# Aliases: two public names for one class (`a is b` at run time).
EXCEPTION_ALIASES: dict[str, str] = {
    "RequestTooLargeError": "ContentTooLargeError",
    "DeadlineExceededError": "GatewayTimeoutError",
}

# Errors a second identical request cannot fix: the SDK does not retry them, nor should you.
NON_TRANSIENT_ERRORS = frozenset(
    {
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "UnprocessableEntityError",
    }
)

DEFAULT_TIMEOUT_SECONDS = 600.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0

# A non-streamed request with the default timeout is refused by the SDK above this many tokens:
# 3600 * max_tokens / 128_000 > 600.
NONSTREAMING_TOKEN_LIMIT = 21_333
MODEL_NONSTREAMING_TOKENS: dict[str, int] = {
    "claude-opus-4-20250514": 8_192,
    "claude-opus-4-0": 8_192,
    "claude-4-opus-20250514": 8_192,
    "anthropic.claude-opus-4-20250514-v1:0": 8_192,
    "claude-opus-4@20250514": 8_192,
    "anthropic.claude-opus-4-1-20250805-v1:0": 8_192,
    "claude-opus-4-1@20250805": 8_192,
}

# Modules whose `Timeout` class builds a timeout object: the 2.x SDK's own and its transport's,
# and httpx for code written against 0.x.
TIMEOUT_CLASSES = frozenset({"anthropic.Timeout", "httpx.Timeout", "httpx2.Timeout"})
# http clients whose `timeout=` a client built with `http_client=` inherits.
HTTP_CLIENT_CLASSES = frozenset(
    {
        "anthropic.DefaultHttpxClient",
        "anthropic.DefaultAsyncHttpxClient",
        "anthropic.DefaultAioHttpClient",
        "httpx.Client",
        "httpx.AsyncClient",
        "httpx2.Client",
        "httpx2.AsyncClient",
    }
)
HTTPX_DEFAULT_TIMEOUT_SECONDS = 5.0

# Resource paths under a client whose methods generate, and those methods. The legacy
# `completions` resource (`max_tokens_to_sample`) is gone from the 2.x SDK but lives on in code
# written for 0.x, which is exactly the code worth checking.
# Namespaces of older SDKs: legacy completions, and `beta.prompt_caching.messages` (0.3x).
LEGACY_GENERATION_RESOURCES = frozenset({("completions",), ("beta", "prompt_caching", "messages")})
GENERATION_RESOURCES = frozenset({("messages",), ("beta", "messages")}) | LEGACY_GENERATION_RESOURCES
# `tool_runner` sends `create` requests in a loop until the model stops asking for tools
# (or `max_iterations`), each one a generation with the runner's max_tokens and stream.
GENERATION_METHODS = frozenset({"create", "parse", "stream", "tool_runner"})
REQUEST_LOOPS = frozenset({"tool_runner"})
# Attributes that wrap a resource without changing what the call does.
RESPONSE_WRAPPERS = frozenset({"with_raw_response", "with_streaming_response"})
CLIENT_DERIVERS = frozenset({"with_options", "copy"})
# What the SDK exports for "not given": passing one is the same as passing nothing.
NOT_GIVEN_NAMES = frozenset({"NOT_GIVEN", "NotGiven", "omit", "Omit"})
# The attributes of a client through which it makes or derives calls: reading one of these on
# something another module builds is what makes it worth asking that module what it is.
CLIENT_ENTRY_ATTRIBUTES = frozenset(path[0] for path in GENERATION_RESOURCES) | {"with_options"}


# ---------------------------------------------------------------------------------------------
# History: what changed between OLDEST_VERSION and NEWEST_VERSION, read from each release's wheel
# (and its CHANGELOG where it says so). A name absent from a *_SINCE table has been there since
# OLDEST_VERSION. auditor.sdk.versions applies these; nothing else compares versions.

# The oldest SDK whose facts auditor knows: 0.6.0 brought today's backoff (0.5 * 2**n s, at most
# 8 s; 0.3.x-0.5.x waited at most 2 s), after 0.3.10's 600 s default timeout (60 s before) and
# 0.4's AnthropicError at the top of the tree. An older target is read as this one.
OLDEST_VERSION: Version = (0, 6, 0)
# The newest release these tables were checked against; a newer target gets its facts.
NEWEST_VERSION: Version = (2, 14, 0)

# First version that exports each client class.
CLIENT_SINCE: dict[str, Version] = {
    "AnthropicVertex": (0, 11, 0),
    "AsyncAnthropicVertex": (0, 11, 0),
    "AnthropicBedrock": (0, 14, 0),
    "AsyncAnthropicBedrock": (0, 14, 0),
    "AnthropicFoundry": (0, 74, 0),
    "AsyncAnthropicFoundry": (0, 74, 0),
    "AnthropicAWS": (0, 88, 0),
    "AsyncAnthropicAWS": (0, 88, 0),
    "AnthropicBedrockMantle": (0, 91, 0),
    "AsyncAnthropicBedrockMantle": (0, 91, 0),
    "AnthropicGoogleCloud": (0, 117, 0),
    "AsyncAnthropicGoogleCloud": (0, 117, 0),
}

# First version that exports each exception class.
EXCEPTION_SINCE: dict[str, Version] = {
    "WorkloadIdentityError": (0, 98, 0),
    "APIWebhookValidationError": (0, 100, 0),
    "OverloadedError": (0, 108, 0),
    "RequestTooLargeError": (0, 108, 0),
    "RetryableError": (0, 108, 0),
    "DeadlineExceededError": (0, 123, 0),
    "ServiceUnavailableError": (0, 123, 0),
    "CredentialsError": (1, 5, 0),
    "IdentityTokenFileError": (1, 5, 0),
    **dict.fromkeys(
        (
            "CMEKContextUnavailableError",
            "CMEKKeyDisabledError",
            "CMEKKeyNetworkBlockedError",
            "CMEKKeyUnreachableError",
            "ClaudeCodeKeyCreatorNotMemberError",
            "ClaudeCodeVersionTooOldError",
            "ClientClosedRequestError",
            "ContentTooLargeError",
            "EnforcedSpendLimitReachedError",
            "GatewayTimeoutError",
            "HTTPNotImplementedError",
            "OrganizationOnHoldError",
            "OrganizationTypeNotSupportedError",
            "PreconditionFailedError",
            "RequestBodyEncodingInvalidError",
            "RequestBodyEncodingUnsupportedError",
            "RequestBodyTooLargeAfterDecodingError",
            "RequestHeaderFieldsTooLargeError",
            "RequestTimeoutError",
        ),
        (2, 5, 0),
    ),
    "RampLimitExceededError": (2, 6, 0),
    "SandboxEgressRestrictedError": (2, 7, 0),
    "ParentOrganizationRequiredError": (2, 9, 0),
    "PaymentRequiredError": (2, 10, 0),
    "ContractSpendLimitReachedError": (2, 10, 0),
    "LinkedOrganizationBillingUnavailableError": (2, 10, 0),
    "LinkedOrganizationSpendLimitReachedError": (2, 10, 0),
    "WorkspaceHumanReviewDisabledError": (2, 13, 0),
}

# Classes that moved in the tree: name -> (version, the parent it had before that version).
# 2.5.0 put the 5xx errors under InternalServerError and made two names aliases.
EARLIER_PARENTS: dict[str, tuple[Version, str]] = {
    "OverloadedError": ((2, 5, 0), "APIStatusError"),
    "ServiceUnavailableError": ((2, 5, 0), "APIStatusError"),
    "DeadlineExceededError": ((2, 5, 0), "APIStatusError"),
}
# First version in which each alias names the other class (before, it was a class of its own).
ALIAS_SINCE: dict[str, Version] = {
    "RequestTooLargeError": (2, 5, 0),
    "DeadlineExceededError": (2, 5, 0),
}

# The guard that raises ValueError before sending a long non-streamed request arrived in 0.47.0
# (CHANGELOG: "0.47.0 (2025-02-24) ... api: add claude-3.7 + support for thinking"; 0.47.1 then
# "update large max_tokens error message"). 0.46.0 has no `_calculate_nonstreaming_timeout`:
# it sends such a request and waits up to its timeout on every attempt.
REFUSES_LONG_NONSTREAMED_SINCE: Version = (0, 47, 0)
# MODEL_NONSTREAMING_TOKENS (a lower limit for some models) arrived in 0.52.0, with Claude 4.
MODEL_NONSTREAMING_TOKENS_SINCE: Version = (0, 52, 0)
# Model entries added after the table itself: model -> first version.
MODEL_LIMIT_SINCE: dict[str, Version] = {
    "anthropic.claude-opus-4-1-20250805-v1:0": (0, 61, 0),
    "claude-opus-4-1@20250805": (0, 61, 0),
}
# Entries since removed: model -> (limit, first version, first version without it).
REMOVED_MODEL_LIMITS: dict[str, tuple[int, Version, Version]] = {
    "claude-opus-4-1-20250805": (8_192, (0, 61, 0), (0, 121, 0)),
}

# How the client sends the API key: `X-Api-Key: <key>` until 1.x, `Authorization: Bearer <key>`
# from 2.0.0 on (a gateway that expects one header rejects the other).
BEARER_KEY_SINCE: Version = (2, 0, 0)


def exception_ancestors(name: str, parents: Mapping[str, str] = EXCEPTION_PARENTS) -> list[str]:
    """`name` and every base above it, nearest first, ending at `BaseException` (in the tree
    `parents`, by default the newest SDK's)."""
    chain = [name]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
    if chain[-1] == "Exception":
        chain.append("BaseException")
    return chain


def non_transient_base(name: str) -> str | None:
    """The non-transient error `name` is or derives from (`BadRequestError`...), if any."""
    return next((base for base in exception_ancestors(name) if base in NON_TRANSIENT_ERRORS), None)


# The HTTP status of each non-transient error, for messages.
NON_TRANSIENT_STATUS = {
    "BadRequestError": 400,
    "AuthenticationError": 401,
    "PermissionDeniedError": 403,
    "NotFoundError": 404,
    "UnprocessableEntityError": 422,
}


def non_transient_below(name: str) -> list[str]:
    """The non-transient errors a handler of `name` also catches (`APIStatusError`, `APIError`,
    `Exception`...), in status order; empty for a class below them or beside them."""
    return sorted(
        (error for error in NON_TRANSIENT_ERRORS if name in exception_ancestors(error) and name != error),
        key=lambda error: NON_TRANSIENT_STATUS[error],
    )


def canonical_exception(name: str) -> str:
    return EXCEPTION_ALIASES.get(name, name)


def nonstreaming_estimate(max_tokens: float) -> float:
    """The SDK's own estimate of how long a non-streamed answer of `max_tokens` can take
    (`_calculate_nonstreaming_timeout`: an hour for 128,000 tokens). A timeout below it turns
    long answers into timeouts and re-generations."""
    return 3600 * max_tokens / 128_000


def sdk_backoff(retries: int) -> float:
    """Longest total sleep between attempts for `retries` retries, as `_calculate_retry_timeout`
    computes it: min(0.5 * 2**n, 8) seconds before retry n+1, less up to 25% jitter (ignored
    here: this is the worst case). A server's `retry-after` header replaces it and can be longer.

    In closed form: the doubling delays until they reach the cap, then the cap for each retry
    left (`max_retries=10000` must not mean computing 2**9999)."""
    total, n = 0.0, 0
    while n < retries and INITIAL_RETRY_DELAY * 2**n < MAX_RETRY_DELAY:
        total += INITIAL_RETRY_DELAY * 2**n
        n += 1
    return total + MAX_RETRY_DELAY * max(retries - n, 0)
