from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import origin

if TYPE_CHECKING:
    from auditor.sdk.facts import Setting
    from auditor.sdk.model import SdkModel


class TimeoutDisabled(Rule):
    """`timeout=None` (or a timeout object whose read timeout is None) on a client or a call.

    ## What it does
    Reports `timeout=None` passed to an SDK client, to `with_options`, to a generation call, or to
    the `http_client` a client is built with; and `httpx.Timeout(None)`, `anthropic.Timeout(None)`
    or any timeout object whose read timeout is None. It follows constants, attributes and a
    parameter's default: `def make(timeout=None): return Anthropic(timeout=timeout)` disables the
    timeout for every caller that does not pass one.

    ## Why is this bad?
    `None` does not mean "use the default": it switches the timeout off. A request whose
    connection stalls then waits forever, holding its worker, its connection and its caller; with
    the SDK's retries it can never give up at all.

    ## Example
    ```python
    client = anthropic.Anthropic(timeout=None)
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(timeout=120.0)
    # and stream long generations: the timeout then bounds each pause, not the whole answer
    ```

    ## Fix safety
    The fix is unsafe (applied with `--unsafe-fixes`): it replaces a literal `timeout=None`
    with `fix-timeout` (600 s by default), or with the SDK's own estimate for the largest
    non-streamed max_tokens that runs with it when that is longer. A request that used to
    wait longer than that now fails with a timeout. A None that comes from a constant, a
    parameter's default or a timeout object is left alone: other code may rely on it.

    ## Options
    - `fix-timeout` (default 600.0): the seconds the fix writes.
    """

    code = "ANT402"
    name = "timeout-disabled"
    severity = Severity.ERROR
    summary = "`timeout=None` (or a timeout object whose read timeout is None) on a client or call"
    options = ("fix-timeout",)
    fix_safety = "unsafe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant40x_timeout import replace_none_fix

        seconds = self.settings.fix_timeout
        for config in model.client_configs:
            setting = model.client_timeout(config)
            if _disabled(setting) and model.written_here(config, "timeout"):
                where = "with_options()" if config.derived else f"{config.class_name}()"
                fix = replace_none_fix(model, setting, seconds, config=config)
                yield Report(setting.node or config.node, _message(where, setting), fix, FINITE_TIMEOUT)
        for call in model.sdk_calls:
            own = model.call_timeout(call)
            if own is not None and _disabled(own):
                setting = own
                fix = replace_none_fix(model, setting, seconds, call=call)
                yield Report(setting.node or call.node, _message(f"{call.operation}()", setting), fix, FINITE_TIMEOUT)


def _disabled(setting: Setting) -> bool:
    return setting.known and setting.value is None


def _message(where: str, setting: Setting) -> str:
    maybe = "" if setting.certain else " may be"
    verb = "disables" if setting.certain else "would disable"
    return f"timeout{maybe} None on {where}{origin(setting.source)}: this {verb} the timeout, so a stalled request waits forever"


FINITE_TIMEOUT = "Set a finite timeout such as timeout=60.0, and stream long generations"
