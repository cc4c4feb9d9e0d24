"""A Fixit rule equivalent to auditor's ANT401, written the Fixit way, for benchmarks/bench.py.

It reports an `anthropic.Anthropic(...)` or `anthropic.AsyncAnthropic(...)` call that passes no
`timeout=` keyword (and no `**kwargs` that could carry one), resolving the name with libcst's
QualifiedNameProvider so that `import anthropic`, `from anthropic import Anthropic` and aliases
are all recognised. It is simpler than ANT401 (which also requires a call through the client that
sets no timeout of its own), so it gives Fixit slightly less work than auditor does.

Run it from the `benchmarks/` directory:

    fixit --rules .fixit_rules.anthropic_timeout lint PATHS
"""

from __future__ import annotations

import libcst as cst
from fixit import Invalid, LintRule, Valid
from libcst.metadata import QualifiedNameProvider

CLIENT_CLASSES = ("anthropic.Anthropic", "anthropic.AsyncAnthropic")


class AnthropicClientWithoutTimeout(LintRule):
    """An Anthropic SDK client built without `timeout=` waits up to 600 s per attempt."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    VALID = [
        Valid("import anthropic\nclient = anthropic.Anthropic(timeout=30.0)"),
        Valid("from anthropic import Anthropic\nclient = Anthropic(timeout=30.0, max_retries=2)"),
        Valid("from anthropic import Anthropic\nclient = Anthropic(**settings)"),
        Valid("class Anthropic: ...\nclient = Anthropic()"),
    ]
    INVALID = [
        Invalid("import anthropic\nclient = anthropic.Anthropic()"),
        Invalid("from anthropic import Anthropic as A\nclient = A(max_retries=3)"),
        Invalid("import anthropic as ant\nclient = ant.AsyncAnthropic(api_key=key)"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not any(QualifiedNameProvider.has_name(self, node, name) for name in CLIENT_CLASSES):
            return
        for arg in node.args:
            if arg.star == "**":
                return  # the keyword arguments may carry a timeout
            if arg.keyword is not None and arg.keyword.value == "timeout":
                return
        self.report(
            node,
            "Anthropic client without timeout=: each attempt can wait 600 s (the SDK default). "
            "Pass timeout=, e.g. Anthropic(timeout=60.0).",
        )
