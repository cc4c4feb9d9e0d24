"""A bounded fuzz test of the fixes: --unsafe-fixes on generated SDK code.

A small generator combines the shapes of the rule fixtures (clients with and without timeouts,
calls in every statement form and layout, handler orders, retry tuples and decorators), with
numbered comments on lines and between them. For every module, the fixed text must compile,
keep every comment, keep every line no fix touched (in order), and be a fixed point: fixing it
again changes nothing. Fixed seed, a few hundred modules, a few seconds.
"""

from __future__ import annotations

import io
import random
import tokenize

from auditor.config import Settings
from auditor.findings import Finding
from auditor.fix.apply import fix_source
from auditor.fix.edits import split_lines
from auditor.fix.run import checker

CASES = 200
SEED = 20240607

HANDLED = [
    "anthropic.APIError",
    "anthropic.APIStatusError",
    "anthropic.RateLimitError",
    "anthropic.APIConnectionError",
    "anthropic.APITimeoutError",
    "anthropic.InternalServerError",
    "anthropic.OverloadedError",
    "Exception",
]
RETRIED = [
    "anthropic.BadRequestError",
    "anthropic.NotFoundError",
    "anthropic.AuthenticationError",
    "anthropic.RateLimitError",
    "anthropic.APIConnectionError",
    "anthropic.InternalServerError",
]


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.comments = 0

    def comment(self) -> str:
        if self.rng.random() < 0.3:
            self.comments += 1
            return f"  # c{self.comments}"
        return ""

    def line_comment(self, indent: str) -> str:
        if self.rng.random() < 0.15:
            self.comments += 1
            return f"{indent}# s{self.comments}\n"
        return ""

    def arguments(self, args: list[str], indent: str) -> str:
        """`(a, b)` on one line, or one argument per line with comments."""
        if self.rng.random() < 0.5 or not args:
            return "(" + ", ".join(args) + ("," if args and self.rng.random() < 0.2 else "") + ")"
        inner = indent + "    "
        lines = [f"{inner}{arg},{self.comment()}\n" for arg in args]
        if self.rng.random() < 0.3:
            lines[-1] = f"{inner}{args[-1]}\n"
        return "(\n" + "".join(self.line_comment(inner) + line for line in lines) + f"{indent})"

    def client(self, name: str, cls: str) -> str:
        args = [a for a in ("timeout=None", "max_retries=3", 'api_key="k"') if self.rng.random() < 0.4]
        self.rng.shuffle(args)
        return f"{name} = anthropic.{cls}{self.arguments(args, '')}{self.comment()}\n"

    def call(self, target: str, indent: str) -> str:
        resource = self.rng.choice(["messages", "messages", "beta.messages"])
        tokens = self.rng.choice(["100", "8192", "30_000"])
        args = ['model="m"', f"max_tokens={tokens}", "messages=[]"]
        if self.rng.random() < 0.3:
            args.append("stream=False")
        if self.rng.random() < 0.2:
            args.append("timeout=None")
        self.rng.shuffle(args)
        return f"{target}.{resource}.create{self.arguments(args, indent)}"

    def statement(self, indent: str, asynchronous: bool) -> str:
        target = "aclient" if asynchronous else "client"
        call = self.call(target, indent)
        call = f"await {call}" if asynchronous else call
        form = self.rng.randrange(7)
        if form == 0:
            text = f"result = {call}"
        elif form == 1:
            text = f"return {call}"
        elif form == 2:
            text = call
        elif form == 3:
            text = f"result: object = {call}"
        elif form == 4:
            text = f"result = ({call}).content"
        elif form == 5:
            text = f"if flag: result = {call}"
        else:
            text = f"result = {call}; other = 1"
        return f"{self.line_comment(indent)}{indent}{text}{self.comment()}\n"

    def try_statement(self, indent: str) -> str:
        inner = indent + "    "
        out = f"{indent}try:\n{self.statement(inner, False)}"
        for name in self.rng.sample(HANDLED, self.rng.randint(2, 4)):
            body = self.rng.choice(["raise", "print(error)", "return None"])
            out += self.line_comment(indent) + f"{indent}except {name} as error:{self.comment()}\n{inner}{body}\n"
        return out

    def retry_loop(self, indent: str) -> str:
        inner, deeper = indent + "    ", indent + "        "
        classes = self.rng.sample(RETRIED, self.rng.randint(1, 4))
        space = self.rng.choice([" ", ""])
        handler = f"except{space}({', '.join(classes)},)" if len(classes) == 1 else f"except{space}{self.arguments(classes, inner)}"
        return (
            f"{indent}for _ in range(3):\n{inner}try:\n{self.statement(deeper, False)}"
            f"{inner}{handler}:{self.comment()}\n{deeper}continue\n"
        )

    def decorated(self) -> str:
        classes = self.rng.sample(RETRIED, self.rng.randint(2, 3))
        return (
            f"@retry(retry=retry_if_exception_type(({', '.join(classes)})), stop=stop_after_attempt(3))\n"
            f"def decorated(flag):\n{self.statement('    ', False)}"
        )

    def module(self) -> str:
        out = "import anthropic\nfrom tenacity import retry, retry_if_exception_type, stop_after_attempt\n\n"
        out += self.client("client", "Anthropic") + self.client("aclient", "AsyncAnthropic")
        for index in range(self.rng.randint(2, 4)):
            kind = self.rng.randrange(4)
            out += "\n\n" + self.line_comment("")
            if kind == 0:
                out += f"def plain{index}(flag):\n" + "".join(self.statement("    ", False) for _ in range(self.rng.randint(1, 3)))
            elif kind == 1:
                out += f"async def later{index}(flag):\n" + self.statement("    ", True)
            elif kind == 2:
                out += f"def guarded{index}(flag):\n" + self.try_statement("    ")
            else:
                out += f"def retried{index}(flag):\n" + self.retry_loop("    ")
        if self.rng.random() < 0.4:
            out += "\n\n" + self.decorated()
        return out


def comments(text: str) -> list[str]:
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT)


def fix_lines(findings: list[Finding]) -> set[int]:
    """Lines of the original that some fix may rewrite: its edits' lines."""
    lines: set[int] = set()
    for finding in findings:
        for edit in finding.fix.edits if finding.fix else ():
            lines.update(range(edit.span.line, edit.span.end_line + 1))
    return lines


def is_subsequence(wanted: list[str], lines: list[str]) -> bool:
    remaining = iter(lines)
    return all(any(line == candidate for candidate in remaining) for line in wanted)


def test_unsafe_fixes_on_generated_code() -> None:
    rng = random.Random(SEED)
    check = checker("generated.py", Settings())
    everything = lambda found, _: found  # noqa: E731  every fix, safe or not
    applied = 0
    for case in range(CASES):
        source = Generator(rng).module()
        compile(source, f"case {case}", "exec", dont_inherit=True)  # the generator makes valid code
        findings = check(source)
        result = fix_source(source, check, everything, findings)
        context = f"case {case}:\n{source}\n---\n{result.text}"
        assert result.error is None, context + "\n" + result.error
        compile(result.text, f"case {case} fixed", "exec", dont_inherit=True)
        assert comments(result.text) == comments(source), context
        untouched = [line for number, line in enumerate(split_lines(source), 1) if number not in fix_lines(findings)]
        assert is_subsequence(untouched, split_lines(result.text)), context
        assert not [f for f in result.findings if f.fix is not None], context  # nothing fixable is left
        again = fix_source(result.text, check, everything)
        assert (again.text, sum(again.fixed.values()), again.error) == (result.text, 0, None), context
        applied += sum(result.fixed.values())
    assert applied > CASES  # the generator really exercises the fixes
