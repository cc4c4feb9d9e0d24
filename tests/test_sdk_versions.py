"""Facts that follow the SDK version the checked project uses, end to end through `auditor check`.

Every version boundary of the SDK table is checked just below and at the boundary. One run of
the installed `auditor` checks a tree with one folder per case: each folder has its own
`auditor.toml` (the nearest configuration wins, so each is its own project root) and says its
version in one of the ways a project can, `target-sdk-version` or a pin in its own files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import git_env

LONG_CALL = """\
    import anthropic
    client = anthropic.Anthropic()
    client.messages.create(model="{model}", max_tokens={tokens}, messages=[])
"""
CLIENT = """\
    import anthropic
    client = anthropic.{name}()
    client.messages.create(model="m", max_tokens=100, messages=[])
"""
SWALLOWED = """\
    import anthropic
    client = anthropic.Anthropic(timeout=60)
    try:
        client.messages.create(model="m", max_tokens=100, messages=[])
    except anthropic.{name}:
        pass
"""
SHADOWED = """\
    import anthropic
    client = anthropic.Anthropic(timeout=60)
    try:
        client.messages.create(model="m", max_tokens=100, messages=[])
    except anthropic.{first}:
        raise
    except anthropic.{second}:
        raise
"""

# case -> (the last version without the fact, the first with it, the program, the findings
# of the program in a version without the fact and in one with it: (code, line) each)
Said = tuple[str, str | None]  # a finding's diagnosis and help
WAIT = "SDK {version} sends it and waits up to 600 s x 3 attempts + 1.5 s of backoff = 1,801.5 s"
BOUNDARIES: dict[str, tuple[str, str, str, list[tuple[str, int]], list[tuple[str, int]]]] = {
    "refusal": ("0.46.0", "0.47.0", LONG_CALL.format(model="claude-test", tokens=32000), [("ANT101", 3), ("ANT401", 2)], [("ANT102", 3), ("ANT401", 2)]),
    "model-limits": ("0.51.0", "0.52.0", LONG_CALL.format(model="claude-opus-4-0", tokens=10000), [("ANT101", 3), ("ANT401", 2)], [("ANT102", 3), ("ANT401", 2)]),
    "model-added": ("0.60.0", "0.61.0", LONG_CALL.format(model="claude-opus-4-1@20250805", tokens=10000), [("ANT101", 3), ("ANT401", 2)], [("ANT102", 3), ("ANT401", 2)]),
    # A model's entry that a later version dropped: refused up to 0.120.2, sent from 0.121.0 on.
    "model-removed": ("0.120.2", "0.121.0", LONG_CALL.format(model="claude-opus-4-1-20250805", tokens=10000), [("ANT102", 3), ("ANT401", 2)], [("ANT101", 3), ("ANT401", 2)]),
    **{
        f"client-{name}": (below, at, CLIENT.format(name=name), [], [("ANT401", 2)])
        for name, below, at in (
            ("AnthropicVertex", "0.10.0", "0.11.0"),
            ("AsyncAnthropicBedrock", "0.13.0", "0.14.0"),
            ("AnthropicFoundry", "0.73.0", "0.74.0"),
            ("AnthropicAWS", "0.87.0", "0.88.0"),
            ("AnthropicBedrockMantle", "0.90.0", "0.91.0"),
            ("AnthropicGoogleCloud", "0.116.0", "0.117.0"),
        )
    },
    **{
        f"exception-{name}": (below, at, SWALLOWED.format(name=name), [], [("ANT202", 5)])
        for name, below, at in (
            ("WorkloadIdentityError", "0.97.0", "0.98.0"),
            ("APIWebhookValidationError", "0.99.0", "0.100.0"),
            ("OverloadedError", "0.107.0", "0.108.0"),
            ("RetryableError", "0.107.0", "0.108.0"),
            ("ServiceUnavailableError", "0.122.0", "0.123.0"),
            ("CredentialsError", "1.4.0", "1.5.0"),
            ("GatewayTimeoutError", "2.4.0", "2.5.0"),
            ("RampLimitExceededError", "2.5.0", "2.6.0"),
            ("SandboxEgressRestrictedError", "2.6.0", "2.7.0"),
            ("ParentOrganizationRequiredError", "2.8.0", "2.9.0"),
            ("PaymentRequiredError", "2.9.0", "2.10.0"),
            ("WorkspaceHumanReviewDisabledError", "2.12.0", "2.13.0"),
        )
    },
    # 2.5.0 moved OverloadedError under InternalServerError, and made DeadlineExceededError an
    # alias of GatewayTimeoutError: the second handler can no longer run.
    "parent-moved": ("2.4.0", "2.5.0", SHADOWED.format(first="InternalServerError", second="OverloadedError"), [], [("ANT201", 7)]),
    "alias": ("2.4.0", "2.5.0", SHADOWED.format(first="DeadlineExceededError", second="GatewayTimeoutError"), [], [("ANT201", 7)]),
}

# The ways a project says its version, used in turn: `auditor.toml` may add files beside it.
PINS = [
    lambda v: {"auditor.toml": f'target-sdk-version = "{v}"\n'},
    lambda v: {"auditor.toml": "", "requirements.txt": f"httpx>=0.27\nanthropic=={v}  # the SDK\n"},
    lambda v: {"auditor.toml": "", "pyproject.toml": f'[project]\nname = "x"\ndependencies = ["anthropic[vertex]>={v},<3"]\n'},
    lambda v: {"auditor.toml": "", "uv.lock": f'version = 1\n\n[[package]]\nname = "anthropic"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'},
    lambda v: {"auditor.toml": "", "poetry.lock": f'[[package]]\nname = "anthropic"\nversion = "{v}"\ndescription = "x"\n'},
    lambda v: {"auditor.toml": "", "Pipfile.lock": json.dumps({"_meta": {}, "default": {"anthropic": {"version": f"=={v}"}}, "develop": {}})},
    lambda v: {"auditor.toml": "", "pyproject.toml": f'[tool.poetry.group.dev.dependencies]\nanthropic = {{version = "^{v}", extras = ["bedrock"]}}\n'},
]


def run_auditor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = git_env(cwd)
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, int, Said]]]:
    """Every case below and at its boundary, in one `auditor check`: folder -> findings."""
    root = tmp_path_factory.mktemp("versions")
    (root / ".git").mkdir()
    number = 0
    for case, (below, at, program, _, _) in BOUNDARIES.items():
        for side, version in (("below", below), ("at", at)):
            folder = root / f"{case}-{side}"
            folder.mkdir()
            for name, text in PINS[number % len(PINS)](version).items():
                (folder / name).write_text(text)
            number += 1
            (folder / "app.py").write_text(textwrap.dedent(program))
    done = run_auditor("check", "--select", "ANT101,ANT102,ANT201,ANT202,ANT401", "--output-format", "json", "--no-cache", ".", cwd=root)
    assert done.returncode == 1, done.stderr
    found: dict[str, list[tuple[str, int, Said]]] = {}
    for finding in json.loads(done.stdout):
        folder = finding["path"].split("/")[0]
        found.setdefault(folder, []).append((finding["code"], finding["start"]["line"], (finding["message"], finding["help"])))
    return found


@pytest.mark.parametrize("case", sorted(BOUNDARIES))
def test_just_below_and_at_each_boundary(checked: dict[str, list[tuple[str, int, Said]]], case: str) -> None:
    _, _, _, without, with_fact = BOUNDARIES[case]
    assert sorted((code, line) for code, line, _ in checked.get(f"{case}-below", [])) == sorted(without)
    assert sorted((code, line) for code, line, _ in checked.get(f"{case}-at", [])) == sorted(with_fact)


def test_an_sdk_without_the_guard_sends_and_waits(checked: dict[str, list[tuple[str, int, Said]]]) -> None:
    """ANT101 says what an SDK from before 0.47.0 does with a call newer ones refuse."""
    (message,) = [m for code, _, m in checked["refusal-below"] if code == "ANT101"]
    assert message == (
        f"max_tokens=32,000 without streaming: {WAIT.format(version='0.46.0')}",
        "Stream it (from 0.47.0 on, the SDK refuses it unstreamed): `with client.messages.stream(...) as stream: "
        "message = stream.get_final_message()`",
    )
    (message,) = [m for code, _, m in checked["model-limits-below"] if code == "ANT101"]
    assert message == (
        "max_tokens=10,000 without streaming: a long answer can run past the timeout and be retried from scratch",
        "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
    )


def test_the_worst_case_of_an_unrefused_call_is_the_normal_one(tmp_path: Path) -> None:
    """The inventory: refused before sending with a guarded SDK, three requests of 600 s before."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.py").write_text(textwrap.dedent(LONG_CALL.format(model="claude-test", tokens=32000)))
    rows = {}
    for version in ("0.46.0", "0.47.0"):
        (tmp_path / "auditor.toml").write_text(f'target-sdk-version = "{version}"\n')
        done = run_auditor("inventory", "--output-format", "json", ".", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        (call,) = json.loads(done.stdout)["calls"]
        rows[version] = (call["requests"], call["wall_time"])
    refused = "the SDK refuses the call before sending"
    assert rows == {
        "0.46.0": ({"value": 3, "unbounded": False, "reason": None}, {"value": 1801.5, "unbounded": False, "reason": None}),
        "0.47.0": ({"value": 0, "unbounded": False, "reason": refused}, {"value": 0.0, "unbounded": False, "reason": refused}),
    }


# ---------------------------------------------------------------------------------------------
# Where the version comes from: the configuration, else the project's files, else "current".


def config_line(root: Path) -> str:
    done = run_auditor("config", cwd=root)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("target-sdk-version")]
    return line


def write(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_precedence_configuration_then_lock_then_declarations_then_current(tmp_path: Path) -> None:
    root = write(tmp_path, {"requirements.txt": "anthropic>=0.30,<1\n"})
    assert config_line(root) == 'target-sdk-version = "0.30.0"  # requirements.txt: anthropic>=0.30,<1'
    write(root, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["anthropic~=0.35.0"]\n'})
    assert config_line(root) == 'target-sdk-version = "0.35.0"  # pyproject.toml: anthropic~=0.35.0'
    write(root, {"uv.lock": '[[package]]\nname = "anthropic"\nversion = "0.40.0"\n'})
    assert config_line(root) == 'target-sdk-version = "0.40.0"  # uv.lock: anthropic 0.40.0'
    write(root, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["anthropic~=0.35.0"]\n[tool.auditor]\ntarget-sdk-version = "0.46"\n'})
    assert config_line(root) == 'target-sdk-version = "0.46.0"  # pyproject.toml'
    for name in ("pyproject.toml", "uv.lock", "requirements.txt"):
        (root / name).unlink()
    assert config_line(root) == 'target-sdk-version = "current"  # default'


def test_current_is_the_newest_the_table_knows(tmp_path: Path) -> None:
    root = write(tmp_path, {"auditor.toml": 'target-sdk-version = "current"\n', "app.py": LONG_CALL.format(model="claude-test", tokens=32000)})
    done = run_auditor("check", "--select", "ANT1", "--output-format", "concise", "-q", "--no-cache", ".", cwd=root)
    assert done.stdout.split(": ", 1)[0] == "app.py:3:1"
    assert " ANT102 " in done.stdout.splitlines()[0] + " "


@pytest.mark.parametrize(
    ("files", "line"),
    [
        # the lowest a specifier allows; `>` is just above; no lower bound says nothing
        ({"requirements.txt": "anthropic>0.40.0\n"}, 'target-sdk-version = "0.40.1"  # requirements.txt: anthropic>0.40.0'),
        ({"requirements.txt": "anthropic<1\nanthropic\n"}, 'target-sdk-version = "current"  # default'),
        ({"requirements.txt": "anthropic @ https://example.invalid/anthropic.whl\n"}, 'target-sdk-version = "current"  # default'),
        (
            {"requirements-dev.txt": "Anthropic[bedrock] == 0.45.2 ; python_version >= '3.9' \\\n    --hash=sha256:00\n", "requirements.txt": "anthropic==0.49.0\n"},
            "target-sdk-version = \"0.45.2\"  # requirements-dev.txt: Anthropic[bedrock] == 0.45.2 ; python_version >= '3.9'",
        ),
        # within one file, the lowest version wins
        ({"uv.lock": '[[package]]\nname = "anthropic"\nversion = "0.49.0"\n\n[[package]]\nname = "anthropic"\nversion = "0.45.0"\n'}, 'target-sdk-version = "0.45.0"  # uv.lock: anthropic 0.45.0'),
        ({"pdm.lock": '[[package]]\nname = "anthropic"\nversion = "1.2.0rc1"\n'}, 'target-sdk-version = "1.2.0"  # pdm.lock: anthropic 1.2.0rc1'),
        ({"Pipfile.lock": '{"default": {}, "develop": {"anthropic": {"version": "==0.44.0"}}}'}, 'target-sdk-version = "0.44.0"  # Pipfile.lock: anthropic ==0.44.0'),
        ({"pyproject.toml": '[dependency-groups]\ndev = ["anthropic>=0.42", {include-group = "x"}]\n'}, 'target-sdk-version = "0.42.0"  # pyproject.toml: anthropic>=0.42'),
        ({"pyproject.toml": '[tool.poetry.dependencies]\nanthropic = "^0.41 || ^1.0"\n'}, 'target-sdk-version = "0.41.0"  # pyproject.toml: anthropic = "^0.41 || ^1.0"'),
        ({"pyproject.toml": '[tool.pdm.dev-dependencies]\ntest = ["anthropic==0.43.0"]\n'}, 'target-sdk-version = "0.43.0"  # pyproject.toml: anthropic==0.43.0'),
        # older than the table's oldest: read as the oldest, and said so
        ({"requirements.txt": "anthropic==0.3.5\n"}, 'target-sdk-version = "0.6.0"  # requirements.txt: anthropic==0.3.5, older than 0.6.0, the oldest auditor knows'),
        # hostile lines end quickly and say nothing
        ({"requirements.txt": "anthropic" + " " * 200_000 + "!\nanthropic==" + "9" * 5000 + "\n"}, 'target-sdk-version = "current"  # default'),
        # a file that is not what its name says is skipped
        ({"uv.lock": "anthropic = [not toml", "requirements.txt": "anthropic==0.47.0\n"}, 'target-sdk-version = "0.47.0"  # requirements.txt: anthropic==0.47.0'),
        ({"Pipfile.lock": '{"default": "anthropic"', "pyproject.toml": "[project\nanthropic"}, 'target-sdk-version = "current"  # default'),
    ],
)
def test_pins_in_the_project_files(tmp_path: Path, files: dict[str, str], line: str) -> None:
    assert config_line(write(tmp_path, files)) == line


def test_a_lock_file_that_is_not_a_regular_file_is_skipped(tmp_path: Path) -> None:
    root = write(tmp_path, {"requirements.txt": "anthropic==0.47.0\n"})
    os.mkfifo(root / "uv.lock")
    assert config_line(root) == 'target-sdk-version = "0.47.0"  # requirements.txt: anthropic==0.47.0'


def test_the_version_is_part_of_the_cache_key(tmp_path: Path) -> None:
    """A new pin in the lock file changes the findings of an unchanged file on the next run."""
    root = write(tmp_path, {"app.py": LONG_CALL.format(model="claude-test", tokens=32000), "uv.lock": '[[package]]\nname = "anthropic"\nversion = "0.46.0"\n'})
    cache = tmp_path / "cache"
    args = ("check", "--select", "ANT1", "--output-format", "json", "--cache-dir", str(cache), ".")
    first = [f["code"] for f in json.loads(run_auditor(*args, cwd=root).stdout)]
    (root / "uv.lock").write_text('[[package]]\nname = "anthropic"\nversion = "0.47.0"\n')
    second = [f["code"] for f in json.loads(run_auditor(*args, cwd=root).stdout)]
    assert (first, second) == (["ANT101"], ["ANT102"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.40", None),
        ('"0.40.x"', "expected \"current\" or an SDK version such as \"0.40.0\", got '0.40.x'"),
        ('"0.5.0"', "auditor knows the SDK from 0.6.0 on (older ones retried differently): got '0.5.0', use '0.6.0' or later"),
        ("[]", 'expected a string: "current" or an SDK version such as "0.40.0", got []'),
        ('"' + "9" * 5000 + '"', "not an SDK version: '" + "9" * 40 + "'"),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path: Path, value: str, message: str | None) -> None:
    root = write(tmp_path, {"auditor.toml": f"target-sdk-version = {value}\n", "app.py": "import anthropic\n"})
    done = run_auditor("check", ".", cwd=root)
    expected = message or 'expected a string: "current" or an SDK version such as "0.40.0", got 0.4'
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"auditor: error: auditor.toml: target-sdk-version: {expected}\n")


def test_a_version_newer_than_the_table_is_kept_and_read_as_the_newest(tmp_path: Path) -> None:
    root = write(tmp_path, {"auditor.toml": 'target-sdk-version = "9"\n', "app.py": LONG_CALL.format(model="claude-test", tokens=32000)})
    assert config_line(root) == 'target-sdk-version = "9.0.0"  # auditor.toml'
    done = run_auditor("check", "--select", "ANT1", "--output-format", "json", "--no-cache", ".", cwd=root)
    assert [f["code"] for f in json.loads(done.stdout)] == ["ANT102"]


def test_the_history_never_moves_a_class_under_or_away_from_a_non_transient_error() -> None:
    """ANT303 and its fix name a class's non-transient base from the newest tree: right for
    every version, since no class that moved ever moved under or away from one."""
    from auditor.sdk import table
    from auditor.sdk.versions import release, show_version

    boundaries = {table.OLDEST_VERSION, *table.CLIENT_SINCE.values(), *table.EXCEPTION_SINCE.values(), *table.ALIAS_SINCE.values()}
    boundaries |= {since for since, _ in table.EARLIER_PARENTS.values()}
    for version in sorted(boundaries):
        sdk = release(show_version(version))
        for name in sdk.exception_parents:
            ancestors = sdk.exception_ancestors(sdk.canonical_exception(name))
            own = next((base for base in ancestors if base in table.NON_TRANSIENT_ERRORS), None)
            assert own == table.non_transient_base(name), (version, name)
