"""The timeout fixes: ANT402 replaces a literal `timeout=None`, ANT401 adds `timeout=` to a client.

The value written is `fix-timeout` (600 s by default, the SDK's own default), or longer when a
non-streamed call that will run with it asks for many tokens: the SDK's own estimate of how
long such an answer takes (3600 s x max_tokens / 128,000), rounded up to a whole second. A
shorter timeout would turn every long answer into a timeout and a re-generation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from auditor.findings import Fix
from auditor.fix.edits import replace_node
from auditor.sdk.table import CLIENT_CLASSES, nonstreaming_estimate

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.facts import ClientConfig, SdkCall, Setting
    from auditor.sdk.model import SdkModel

def timeout_for(model: SdkModel, calls: Iterable[SdkCall], fix_timeout: float) -> float:
    """`fix_timeout`, or the SDK's estimate for the largest non-streamed call among `calls`."""
    from auditor.analysis.values import Known

    seconds = fix_timeout
    for call in calls:
        if model.streamed(call) is False:
            tokens = model.max_tokens(call)
            if isinstance(tokens, Known) and isinstance(tokens.value, (int, float)):
                seconds = max(seconds, float(math.ceil(nonstreaming_estimate(tokens.value))))
    return seconds


def calls_inheriting(model: SdkModel, config: ClientConfig) -> list[SdkCall]:
    """The calls that set no timeout and run on `config`'s: through it, or through a client
    derived from it (`with_options`, `copy`) that does not set one either."""
    return [call for call in model.sdk_calls if model.call_timeout(call) is None and any(_reaches(c, config) for c in call.clients.configs)]


def _reaches(candidate: ClientConfig, config: ClientConfig, depth: int = 0) -> bool:
    if candidate is config:
        return True
    if candidate.parent is None or candidate.arguments.given("timeout") is not False or depth > 8:
        return False
    return any(_reaches(parent, config, depth + 1) for parent in candidate.parent.configs)


def replace_none_fix(model: SdkModel, setting: Setting, fix_timeout: float, config: ClientConfig | None = None, call: SdkCall | None = None) -> Fix | None:
    """ANT402: a literal `None` written as the timeout becomes a number. A None that comes from
    a constant, a parameter's default or a timeout object is left alone: its other users and
    callers may mean it."""
    import libcst as cst

    node = setting.node
    if setting.source.kind != "literal" or not (isinstance(node, cst.Name) and node.value == "None"):
        return None
    calls = [call] if call is not None else calls_inheriting(model, config) if config is not None else []
    seconds = timeout_for(model, calls, fix_timeout)
    return Fix(f"Replace `timeout=None` with `timeout={seconds!r}`", (replace_node(model, node, cst.Float(repr(seconds), lpar=node.lpar, rpar=node.rpar)),), safe=False)


def add_timeout_fix(model: SdkModel, config: ClientConfig, fix_timeout: float) -> Fix | None:
    """ANT401: `Anthropic()` becomes `Anthropic(timeout=600.0)`. Only for the SDK's own classes:
    a class of the project's may not take `timeout=`."""
    from auditor.sdk.inference import sdk_export

    if config.external is not None:
        return None  # built in another module: fixed there
    name = model.qualified_name(config.node.func)
    if config.parent is not None or name is None or sdk_export(name) not in CLIENT_CLASSES:
        return None
    seconds = timeout_for(model, calls_inheriting(model, config), fix_timeout)
    new = add_keyword(config.node, "timeout", repr(seconds))
    return Fix(f"Add `timeout={seconds!r}` to `{config.class_name}()`", (replace_node(model, config.node, new),), safe=False)


def add_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call:
    """`call` with `keyword=value` after its last argument, in the call's own layout: on a line
    of its own when the arguments are one per line, with a trailing comma when they had one."""
    import libcst as cst

    new = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(keyword), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if not isinstance(last.comma, cst.Comma):
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return call.with_changes(args=[*args, new])
    # A trailing comma: the new argument gets one too, and the line layout between arguments.
    separator = args[-2].comma if len(args) > 1 else None
    between = separator.whitespace_after if isinstance(separator, cst.Comma) else call.whitespace_before_args
    closing = last.comma.whitespace_after
    if isinstance(closing, cst.ParenthesizedWhitespace):
        if isinstance(between, cst.ParenthesizedWhitespace):
            indent, last_line = between.indent, between.last_line
        else:
            indent, last_line = closing.indent, cst.SimpleWhitespace(closing.last_line.value + "    ")
        # The last argument keeps its comment; the new one ends where the arguments ended.
        after_last = closing.with_changes(indent=indent, last_line=last_line)
        after_new = closing.with_changes(first_line=cst.TrailingWhitespace(newline=closing.first_line.newline), empty_lines=())
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=after_last))
        return call.with_changes(args=[*args, new.with_changes(comma=cst.Comma(whitespace_after=after_new))])
    space = between if isinstance(between, cst.SimpleWhitespace) and between.value else cst.SimpleWhitespace(" ")
    args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=space))
    return call.with_changes(args=[*args, new.with_changes(comma=last.comma)])
