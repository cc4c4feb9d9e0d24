from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import attempts_wait, format_seconds

if TYPE_CHECKING:
    from auditor.sdk.facts import Setting
    from auditor.sdk.model import SdkModel


class WaitBudgetExceeded(Rule):
    """A timeout and max_retries whose worst case is longer than `max-total-wait`.

    ## What it does
    Multiplies the timeout in force by the attempts the SDK may make (`max_retries + 1`) and
    reports when the product is above the configured `max-total-wait` (seconds). It looks at each
    client built or derived (`with_options`, `copy`) with an explicit `timeout=` or
    `max_retries=`, and at each call with its own `timeout=` (using the client's max_retries when
    it is known, and one attempt otherwise, so the figure is never overstated).

    The rule is off until `max-total-wait` is set. A client that runs on the SDK's 600 s default
    timeout is left to ANT401, which says so at the same place: one finding, not two.

    ## Why is this bad?
    Whoever waits for the answer (a web request, a queue's visibility timeout, a user) has a
    budget. `timeout=120, max_retries=5` can hold a request for 12 minutes before the error
    surfaces, long after the caller gave up, while the retries keep spending capacity.

    ## Example
    ```python
    # max-total-wait = 300
    client = anthropic.Anthropic(timeout=120, max_retries=5)  # 720 s worst case
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(timeout=60, max_retries=3)  # 240 s worst case
    ```

    ## Options
    - `max-total-wait`: the budget in seconds (no default: the rule is off without it).
    """

    code = "ANT403"
    name = "wait-budget-exceeded"
    severity = Severity.WARNING
    summary = "timeout x (max_retries + 1) above the configured `max-total-wait`"
    options = ("max-total-wait",)

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.sdk.worst_case import client_budget

        budget = self.settings.max_total_wait
        if budget is None:
            return
        for config in model.client_configs:
            if not (config.arguments.given("timeout") or config.arguments.given("max_retries")):
                continue
            timeout, retries = model.client_timeout(config), model.client_max_retries(config)
            if timeout.sdk_default:
                continue
            total = client_budget(timeout, retries)
            if total is not None and total > budget:
                where = "with_options()" if config.derived else f"{config.class_name}()"
                yield Report(config.node, _message(where, timeout, retries, total, budget), help=FIT_THE_BUDGET)
        for call in model.sdk_calls:
            own = model.call_timeout(call)
            if own is None or not own.known or not isinstance(own.value, float):
                continue
            _, retries = model.settings_in_force(call)
            total = client_budget(own, retries)
            if total is None:  # max_retries is not known: one attempt is all that can be proved
                total = own.value
            if total > budget:
                yield Report(own.node or call.node, _message(f"{call.operation}()", own, retries, total, budget), help=FIT_THE_BUDGET)


def _message(where: str, timeout: Setting, retries: Setting, total: float, budget: float) -> str:
    assert isinstance(timeout.value, float)
    if retries.known and isinstance(retries.value, int):
        waits = f"{attempts_wait(timeout.value, retries.value + 1, total)} (max_retries={retries.value})"
    else:
        waits = f"at least {format_seconds(timeout.value)} (one attempt; max_retries is not known)"
    return f"{where} can wait {waits}, above max-total-wait = {format_seconds(budget)}"


FIT_THE_BUDGET = "Lower the timeout or max_retries so the worst case fits the caller's budget"
