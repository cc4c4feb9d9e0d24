"""A small generator of SDK-using programs, some of them mangled, for the fuzz tests.

Deterministic for a seed. It combines the shapes the rules look at (clients with every kind of
timeout, calls with every kind of max_tokens, handler chains in random order, retry loops and
decorators) with the damage hostile input does (truncation, NUL and stray bytes, deep nesting,
long operator chains, mixed line endings).
"""

from __future__ import annotations

import random

IMPORTS = [
    "import anthropic",
    "from anthropic import Anthropic, AsyncAnthropic, APIError, RateLimitError, APIStatusError",
    "import anthropic as sdk",
    "import httpx",
    "import tenacity",
    "from tenacity import retry, stop_after_attempt, retry_if_exception_type",
    "import time",
]
TIMEOUTS = ["None", "30", "600.0", "'x'", "httpx.Timeout(None)", "anthropic.Timeout(10)", "TIMEOUT", "cfg.timeout", "1e9"]
RETRIES = ["0", "2", "5", "None", "RETRIES", "-1"]
MAX_TOKENS = ["10", "4096", "8192", "32000", "64000", "'N'", "N", "1 << 20", "cfg.max_tokens", "True"]
ERRORS = ["anthropic.APIError", "anthropic.RateLimitError", "Exception", "APIStatusError", "anthropic.APIConnectionError", "(anthropic.RateLimitError, ValueError)", "BaseException"]
BODIES = ["pass", "continue", "break", "raise", "time.sleep(1)", "return None", "log(e)"]


def program(rng: random.Random) -> str:
    lines = rng.sample(IMPORTS, rng.randint(1, len(IMPORTS)))
    for _ in range(rng.randint(1, 6)):
        lines += rng.choice([_client, _function, _loop, _decorated, _klass])(rng)
    return "\n".join(lines) + "\n"


def mangled(rng: random.Random) -> bytes:
    """A program, damaged one way or another."""
    text = program(rng)
    damage = rng.randrange(8)
    if damage == 0:
        return text.encode()[: rng.randrange(len(text) + 1)]
    if damage == 1:
        position = rng.randrange(len(text) + 1)
        return (text[:position] + rng.choice(["\x00", "\udcff", "\r", "\t", "\ufeff", "'''", "(", "]", "\\"]) + text[position:]).encode("utf-8", "surrogateescape")
    if damage == 2:
        depth = rng.choice([10, 150, 199, 201, 260, 1300])
        return (text + "x = " + "(" * depth + "1" + ")" * depth + "\n").encode()
    if damage == 3:
        terms = rng.choice([50, 400, 999, 1001, 5000])
        operator = rng.choice([" + ", " and ", " if a else ", ".b", "[0]", " ** ", " or "])
        return (text + "x = a" + operator.join([""] * terms) + "1\n").encode()
    if damage == 4:
        return text.replace("\n", "\r\n").encode()
    if damage == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    if damage == 6:
        return ("    " * rng.randint(1, 120) + text).encode()
    return text.encode()


def _kwargs(rng: random.Random, options: dict[str, list[str]]) -> str:
    chosen = [f"{key}={rng.choice(values)}" for key, values in options.items() if rng.random() < 0.6]
    if rng.random() < 0.2:
        chosen.append("**kwargs")
    return ", ".join(chosen)


def _client(rng: random.Random) -> list[str]:
    cls = rng.choice(["anthropic.Anthropic", "anthropic.AsyncAnthropic", "Anthropic", "sdk.Anthropic", "anthropic.AnthropicBedrock"])
    client = f"client = {cls}({_kwargs(rng, {'timeout': TIMEOUTS, 'max_retries': RETRIES})})"
    if rng.random() < 0.3:
        client += f".with_options({_kwargs(rng, {'timeout': TIMEOUTS, 'max_retries': RETRIES})})"
    return [client]


def _call(rng: random.Random) -> str:
    target = rng.choice(["client.messages", "client.beta.messages", "client.messages.with_raw_response", "self.client.messages", "c.messages"])
    method = rng.choice(["create", "create", "stream", "parse", "count_tokens"])
    arguments = _kwargs(rng, {"model": ["'claude-x'", "MODEL"], "max_tokens": MAX_TOKENS, "stream": ["True", "False", "s"], "timeout": TIMEOUTS})
    prefix = "await " if rng.random() < 0.2 else ""
    return f"{prefix}{target}.{method}({arguments})"


def _handlers(rng: random.Random, indent: str) -> list[str]:
    lines = []
    for error in rng.sample(ERRORS, rng.randint(1, 4)):
        lines += [f"{indent}except {error} as e:", f"{indent}    {rng.choice(BODIES)}"]
    return lines


def _function(rng: random.Random) -> list[str]:
    head = rng.choice(["def ask(c, q):", "async def ask(c, q):", "def ask(c=None, timeout=None):"])
    return [head, "    try:", f"        return {_call(rng)}", *_handlers(rng, "    ")]


def _loop(rng: random.Random) -> list[str]:
    head = rng.choice(["for attempt in range(3):", "while True:", "while result is None:", "for item in items:"])
    return ["def run(c):", f"    {head}", "        try:", f"            result = {_call(rng)}", *_handlers(rng, "        ")]


def _decorated(rng: random.Random) -> list[str]:
    decorator = rng.choice(["@retry", "@retry(stop=stop_after_attempt(5))", "@tenacity.retry(retry=retry_if_exception_type(anthropic.APIError))", "@backoff.on_exception(backoff.expo, Exception)"])
    return [decorator, "def call(c):", f"    return {_call(rng)}"]


def _klass(rng: random.Random) -> list[str]:
    return [
        "class Bot:",
        f"    timeout = {rng.choice(TIMEOUTS)}",
        "    def __init__(self):",
        f"        self.client = anthropic.Anthropic({_kwargs(rng, {'timeout': ['self.timeout', *TIMEOUTS]})})",
        "    def ask(self):",
        f"        return {_call(rng)}",
    ]
