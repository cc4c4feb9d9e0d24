"""Project-wide analysis: facts that cross a module (issue 18), through the installed command.

Each test builds a small project in tmp_path, one shape of real code per test, the positive
next to its negative, and checks the exact findings (code, path, line, column) and the words
that name where a value came from. Then the run-level promises: a run over some files reaches
the verdict of a run over the whole project, a warm run parses nothing, and an edit re-parses
only what it must.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import auditor

Found = tuple[str, str, int, int]


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def check(root: Path, *args: str) -> tuple[list[Found], dict[Found, str]]:
    """(code, path, line, column) of every finding, and each one's message."""
    code, out, err = auditor(root, "check", *args, "--output-format", "json")
    assert code in (0, 1), err
    items = json.loads(out)
    found = [(f["code"], f["path"], f["start"]["line"], f["start"]["column"]) for f in items]
    return found, dict(zip(found, (f["message"] for f in items)))


CONFIG = {"pyproject.toml": "[tool.auditor]\n"}

FACTORY = {
    **CONFIG,
    "app/__init__.py": "",
    "app/clients.py": """
        import anthropic


        def make_client():
            return anthropic.Anthropic()


        def make_patient_client():
            return anthropic.Anthropic(timeout=30.0)


        def make_tunable_client(timeout=None):
            if timeout is not None:
                return anthropic.Anthropic(timeout=timeout)
            return anthropic.Anthropic(timeout=45.0)
    """,
    "app/main.py": """
        from app.clients import make_client, make_patient_client


        def ask(question):
            client = make_client()
            return client.messages.create(model="m", max_tokens=512, messages=[question])


        def ask_patiently(question):
            return make_patient_client().messages.create(model="m", max_tokens=512, messages=[question])


        def ask_with_own_timeout(question):
            return make_client().messages.create(model="m", max_tokens=512, messages=[question], timeout=20)
    """,
}


def test_a_factory_in_another_module_and_the_calls_here(tmp_path: Path) -> None:
    found, messages = check(project(tmp_path, FACTORY))
    assert found == [("ANT401", "app/main.py", 5, 14)]
    assert messages[found[0]] == (
        "make_client() (Anthropic(), app/clients.py:4) and the call on line 6 set no timeout: 600 s (SDK default) x 3 attempts"
        " + 1.5 s of backoff = 1,801.5 s"
    )


def test_a_run_over_one_file_reaches_the_verdict_of_the_whole_project(tmp_path: Path) -> None:
    """What pre-commit does: it names only the staged files."""
    project(tmp_path, FACTORY)
    assert check(tmp_path, "app/main.py")[0] == [("ANT401", "app/main.py", 5, 14)]


def test_a_module_level_client_imported_from_another_module(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/clients.py": """
                    import anthropic

                    patient = anthropic.Anthropic(max_retries=5)
                    bounded = anthropic.Anthropic(timeout=20.0, max_retries=5)
                """,
                "app/main.py": """
                    from . import clients
                    from .clients import bounded


                    def one(q):
                        return clients.patient.messages.create(model="m", max_tokens=512, messages=[q])


                    def two(q):
                        return bounded.messages.create(model="m", max_tokens=512, messages=[q])
                """,
            },
        )
    )
    assert found == [("ANT401", "app/main.py", 6, 12)]
    assert messages[found[0]] == (
        "patient (Anthropic(), app/clients.py:3) and the call on line 6 set no timeout: 600 s (SDK default) x 6 attempts"
        " + 15.5 s of backoff = 3,615.5 s"
    )


def test_a_factory_parameter_passed_by_the_caller_replaces_its_default(tmp_path: Path) -> None:
    """`make_client(max_retries=10)`: the caller's value, not the factory's default, is what
    a retry loop around the call multiplies."""
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/clients.py": """
                    import anthropic


                    def make_client(max_retries=2, timeout=60.0):
                        return anthropic.Anthropic(max_retries=max_retries, timeout=timeout)
                """,
                "app/main.py": """
                    import time

                    import anthropic

                    from .clients import make_client


                    def by_keyword(q):
                        for _ in range(3):
                            try:
                                return make_client(max_retries=10).messages.create(model="m", max_tokens=512, messages=[q])
                            except anthropic.RateLimitError:
                                time.sleep(1)


                    def by_position(q):
                        for _ in range(3):
                            try:
                                return make_client(0).messages.create(model="m", max_tokens=512, messages=[q])
                            except anthropic.RateLimitError:
                                time.sleep(1)


                    def by_default(q):
                        for _ in range(3):
                            try:
                                return make_client().messages.create(model="m", max_tokens=512, messages=[q])
                            except anthropic.RateLimitError:
                                time.sleep(1)
                """,
            },
        ),
        "--select",
        "ANT301",
    )
    # max_retries=0 passed by position: the loop is the only retry, nothing is multiplied.
    assert found == [("ANT301", "app/main.py", 9, 5), ("ANT301", "app/main.py", 25, 5)]
    assert "3 attempts x 11 SDK attempts (max_retries=10) = up to 33 requests" in messages[found[0]]
    assert "3 attempts x 3 SDK attempts (max_retries=2) = up to 9 requests" in messages[found[1]]


def test_a_project_retry_decorator_in_a_utils_module(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/utils.py": """
                    import functools
                    import time


                    def retry(func):
                        @functools.wraps(func)
                        def wrapper(*args, **kwargs):
                            while True:
                                try:
                                    return func(*args, **kwargs)
                                except Exception:
                                    time.sleep(1)
                        return wrapper


                    def logged(func):
                        @functools.wraps(func)
                        def wrapper(*args, **kwargs):
                            print("calling", func.__name__)
                            return func(*args, **kwargs)
                        return wrapper
                """,
                "app/main.py": """
                    import anthropic

                    from app.utils import logged, retry

                    client = anthropic.Anthropic(timeout=30.0)


                    @retry
                    def ask(q):
                        return client.messages.create(model="m", max_tokens=512, messages=[q])


                    @logged
                    def ask_once(q):
                        return client.messages.create(model="m", max_tokens=512, messages=[q])
                """,
            },
        )
    )
    assert found == [("ANT302", "app/main.py", 8, 2)]
    assert messages[found[0]].startswith("This retry decorator re-sends the SDK call on line 10 on top of the SDK's own retries")


SETTINGS = {
    **CONFIG,
    "app/settings.py": """
        import os

        MAX_TOKENS = 8192
        SHORT = 1024
        TIMEOUT = None


        class Config:
            max_tokens: int = 16000
            short: int = 512
    """,
}


def test_constants_and_config_classes_from_a_settings_module(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **SETTINGS,
                "app/main.py": """
                    import anthropic

                    from app import settings
                    from app.settings import MAX_TOKENS, SHORT, Config

                    client = anthropic.Anthropic(timeout=900.0)


                    def long_one(q):
                        return client.messages.create(model="m", max_tokens=MAX_TOKENS, messages=[q])


                    def short_one(q):
                        return client.messages.create(model="m", max_tokens=SHORT, messages=[q])


                    def from_the_class(q):
                        return client.messages.create(model="m", max_tokens=Config.max_tokens, messages=[q])


                    def from_an_instance(q, config: Config):
                        return client.messages.create(model="m", max_tokens=config.max_tokens, messages=[q])


                    def overridden(q):
                        config = Config(max_tokens=256)
                        return client.messages.create(model="m", max_tokens=config.max_tokens, messages=[q])


                    def through_the_module(q):
                        return client.messages.create(model="m", max_tokens=settings.MAX_TOKENS, messages=[q])
                """,
            },
        ),
        "--select",
        "ANT101",
    )
    assert found == [
        ("ANT101", "app/main.py", 10, 12),
        ("ANT101", "app/main.py", 18, 12),
        ("ANT101", "app/main.py", 22, 12),
        ("ANT101", "app/main.py", 31, 12),
    ]
    assert messages[found[0]].startswith("max_tokens=8,192 (constant MAX_TOKENS, app/settings.py:3) without streaming")
    assert messages[found[1]].startswith("max_tokens may be 16,000 (default of field max_tokens of Config, app/settings.py:9) without streaming")
    assert messages[found[2]].startswith("max_tokens may be 16,000 (default of field max_tokens of Config, app/settings.py:9) without streaming")


def test_a_timeout_constant_of_none_from_another_module_reaches_the_client(tmp_path: Path) -> None:
    """ANT402 is reported where None is written into a client: here, the constructor."""
    found, messages = check(
        project(
            tmp_path,
            {
                **SETTINGS,
                "app/main.py": """
                    import anthropic

                    from .settings import TIMEOUT

                    client = anthropic.Anthropic(timeout=TIMEOUT)
                """,
            },
        ),
        "--select",
        "ANT402",
    )
    assert found == [("ANT402", "app/main.py", 5, 38)]
    assert "(constant TIMEOUT, app/settings.py:5)" in messages[found[0]]


@pytest.mark.parametrize(
    ("layout", "module"),
    [
        ({"pyproject.toml": "[tool.auditor]\n", "src/app/__init__.py": "", "src/app/settings.py": "MAX = 8192\n"}, "src/app/main.py"),
        # A monorepo: each package has its own pyproject.toml and src/ layout.
        (
            {
                "pyproject.toml": "[tool.auditor]\n",
                "packages/core/pyproject.toml": "[project]\nname = 'core'\n",
                "packages/core/src/core/settings.py": "MAX = 8192\n",
            },
            "packages/api/src/api/main.py",
        ),
        # A namespace package: no __init__.py anywhere.
        ({"pyproject.toml": "[tool.auditor]\n", "ns/settings.py": "MAX = 8192\n"}, "ns/main.py"),
    ],
)
def test_absolute_imports_resolve_as_python_finds_them(tmp_path: Path, layout: dict[str, str], module: str) -> None:
    package = {"src/app/main.py": "app", "packages/api/src/api/main.py": "core", "ns/main.py": "ns"}[module]
    files = {
        **layout,
        module: f"""
            import anthropic
            from {package}.settings import MAX

            client = anthropic.Anthropic(timeout=900.0)
            client.messages.create(model="m", max_tokens=MAX, messages=[])
        """,
    }
    if module.startswith("packages/api"):
        files["packages/api/pyproject.toml"] = "[project]\nname = 'api'\n"
    found, _ = check(project(tmp_path, files), "--select", "ANT101")
    assert found == [("ANT101", module, 5, 1)]


def test_re_exports_star_imports_and_aliases(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/__init__.py": "from .clients import make_client as build\nfrom .config import *\n",
                "app/config.py": "from .defaults import *\n",
                "app/defaults.py": "LONG = 12000\n",
                "app/clients.py": "import anthropic\n\ndef make_client():\n    return anthropic.Anthropic(timeout=900.0)\n",
                "app/main.py": """
                    from app import LONG, build as connect

                    connect().messages.create(model="m", max_tokens=LONG, messages=[])
                """,
            },
        ),
        "--select",
        "ANT101",
    )
    assert found == [("ANT101", "app/main.py", 3, 1)]
    assert messages[found[0]].startswith("max_tokens=12,000 (constant LONG, app/defaults.py:1)")


def test_what_cannot_be_proved_stays_silent(tmp_path: Path) -> None:
    """Assigned twice, computed at run time, a cycle, a name the module does not define, a
    module outside the project: nothing is claimed."""
    found, _ = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/a.py": """
                    import os
                    from .b import B_LIMIT

                    TWICE = 1024
                    TWICE = 8192
                    RUNTIME = int(os.cpu_count() or 1) * 8192
                    A_LIMIT = B_LIMIT
                """,
                "app/b.py": "from .a import A_LIMIT\nB_LIMIT = A_LIMIT\n",
                "app/main.py": """
                    import anthropic
                    from somewhere_else import FOREIGN
                    from .a import TWICE, RUNTIME, A_LIMIT, MISSING

                    client = anthropic.Anthropic(timeout=900.0)
                    for value in (TWICE, RUNTIME, A_LIMIT, MISSING, FOREIGN):
                        client.messages.create(model="m", max_tokens=value, messages=[])
                    client.messages.create(model="m", max_tokens=TWICE, messages=[])
                    client.messages.create(model="m", max_tokens=RUNTIME, messages=[])
                    client.messages.create(model="m", max_tokens=A_LIMIT, messages=[])
                    client.messages.create(model="m", max_tokens=MISSING, messages=[])
                    client.messages.create(model="m", max_tokens=FOREIGN, messages=[])
                """,
            },
        ),
        "--select",
        "ANT1",
    )
    assert found == []


def test_a_warm_run_parses_nothing_and_an_edit_reparses_only_what_it_must(tmp_path: Path) -> None:
    main = textwrap.dedent(FACTORY["app/main.py"]) + "\nfrom .settings import MAX_TOKENS\n"
    project(tmp_path, {**FACTORY, **SETTINGS, "app/main.py": main})
    cache = ["--cache-dir", str(tmp_path / ".auditor_cache")]

    def run(*paths: str) -> tuple[list[Found], str]:
        code, out, err = auditor(tmp_path, "check", *paths, *cache, "--verbose", "--output-format", "json")
        assert code in (0, 1), err
        return [(f["code"], f["path"], f["start"]["line"], f["start"]["column"]) for f in json.loads(out)], err.strip()

    cold, stats = run(".")
    assert cold == [("ANT401", "app/main.py", 5, 14)]
    assert stats == "auditor: 4 files checked: 2 parsed, 1 other modules summarised, 0 from the cache"
    assert run(".") == (cold, "auditor: 4 files checked: 0 parsed, 0 other modules summarised, 2 from the cache")
    # A comment in a module another one reads: that module alone is parsed again.
    with (tmp_path / "app/clients.py").open("a") as stream:
        stream.write("# a comment\n")
    assert run("app/main.py") == ([("ANT401", "app/main.py", 5, 14)], "auditor: 1 file checked: 0 parsed, 1 other modules summarised, 1 from the cache")
    # The same in a run over the whole project, where that module is checked too.
    with (tmp_path / "app/clients.py").open("a") as stream:
        stream.write("# another comment\n")
    assert run(".") == ([("ANT401", "app/main.py", 5, 14)], "auditor: 4 files checked: 1 parsed, 1 other modules summarised, 1 from the cache")
    # An edit that changes what it exports: the module that reads it is judged again.
    text = (tmp_path / "app/clients.py").read_text().replace("return anthropic.Anthropic()\n", "return anthropic.Anthropic(timeout=20.0)\n", 1)
    (tmp_path / "app/clients.py").write_text(text)
    assert run("app/main.py") == ([], "auditor: 1 file checked: 1 parsed, 1 other modules summarised, 0 from the cache")


def test_a_corrupt_summary_in_the_cache_is_dropped(tmp_path: Path) -> None:
    project(tmp_path, FACTORY)
    cache = tmp_path / ".auditor_cache"
    assert auditor(tmp_path, "check", ".", "--cache-dir", str(cache), "-q")[0] == 1
    document = json.loads((cache / "results.json").read_text())
    entry = document["entries"][str(tmp_path / "app/clients.py")]
    entry["summary"]["exports"]["make_client"]["timeout"]["value"] = "not a number"
    (cache / "results.json").write_text(json.dumps(document))
    code, out, err = auditor(tmp_path, "check", ".", "--cache-dir", str(cache), "--output-format", "concise", "-q")
    assert (code, err) == (1, f"auditor: warning: ignoring corrupt cache {cache / 'results.json'}: a module summary is out of shape\n")
    assert out.startswith("app/main.py:5:14: ANT401 ")


def test_a_retry_loop_around_a_helper_of_another_module_that_calls_the_sdk(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/helpers.py": """
                    import anthropic

                    client = anthropic.Anthropic(timeout=30.0)


                    def ask(question):
                        return client.messages.create(model="m", max_tokens=512, messages=[question])


                    def shout(text):
                        return text.upper()
                """,
                "app/main.py": """
                    import time

                    import anthropic

                    from .helpers import ask, shout


                    def answer(q):
                        for _ in range(5):
                            try:
                                return ask(q)
                            except anthropic.RateLimitError:
                                time.sleep(2)


                    def loud(q):
                        for _ in range(5):
                            try:
                                return shout(q)
                            except anthropic.RateLimitError:
                                time.sleep(2)
                """,
            },
        ),
        "--select",
        "ANT3",
    )
    assert found == [("ANT301", "app/main.py", 9, 5)]
    assert messages[found[0]].startswith("This loop re-sends the SDK call on line 11 (through ask() in app/helpers.py:6) on top of the SDK's own retries")


def test_a_client_passed_to_a_helper_of_another_module(tmp_path: Path) -> None:
    """The helper calls through its parameter; the caller's client is what waits."""
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/helpers.py": """
                    def ask_with(client, question, *, model="m"):
                        return client.messages.create(model=model, max_tokens=512, messages=[question])


                    def ask_patiently(client, question):
                        return client.messages.create(model="m", max_tokens=512, messages=[question], timeout=20)
                """,
                "app/main.py": """
                    import anthropic

                    from .helpers import ask_patiently, ask_with

                    plain = anthropic.Anthropic()
                    other = anthropic.Anthropic()
                    timed = anthropic.Anthropic(timeout=30.0)


                    def run(q):
                        ask_with(plain, q)
                        ask_patiently(other, q)
                        ask_with(client=timed, question=q)
                """,
            },
        ),
        "--select",
        "ANT401",
    )
    assert found == [("ANT401", "app/main.py", 5, 9)]
    assert messages[found[0]] == (
        "Anthropic() and the call through ask_with() on line 11 (app/helpers.py:1) set no timeout: each attempt can wait 600 s"
        " (the SDK default)"
    )


def test_the_inventory_shows_the_calls_it_resolves_through_other_modules(tmp_path: Path) -> None:
    project(tmp_path, FACTORY)
    code, out, err = auditor(tmp_path, "inventory", ".", "--no-cache", "--output-format", "json")
    assert code == 0, err
    calls = json.loads(out)["calls"]
    assert [(c["path"], c["line"], c["clients"], c["timeout"]["value"], c["findings"]) for c in calls] == [
        ("app/main.py", 6, [{"line": 4, "class": "Anthropic", "path": "app/clients.py"}], 600.0, []),
        ("app/main.py", 10, [{"line": 8, "class": "Anthropic", "path": "app/clients.py"}], 30.0, []),
        ("app/main.py", 14, [{"line": 4, "class": "Anthropic", "path": "app/clients.py"}], 20, []),
    ]
    text = auditor(tmp_path, "inventory", ".", "--no-cache")[1]
    assert "    client       Anthropic() at app/clients.py:4\n" in text


def test_a_factory_whose_setting_comes_from_a_third_module(tmp_path: Path) -> None:
    """clients.py builds with `timeout=settings.TIMEOUT`: main.py reads the value through both."""
    files = {
        **CONFIG,
        "app/clients.py": """
            import anthropic

            from app import settings


            def make_client():
                return anthropic.Anthropic(max_retries=settings.RETRIES, timeout=settings.TIMEOUT)
        """,
        "app/main.py": """
            from .clients import make_client

            make_client().messages.create(model="m", max_tokens=512, messages=[])
        """,
    }
    project(tmp_path, {**files, "app/settings.py": "TIMEOUT = 30.0\nRETRIES = 4\n"})
    code, out, _ = auditor(tmp_path, "inventory", "app/main.py", "--no-cache", "--output-format", "json")
    [call] = json.loads(out)["calls"]
    assert (call["timeout"]["value"], call["timeout"]["source"], call["max_retries"]["value"]) == (30.0, "constant TIMEOUT, app/settings.py:1", 4)
    # Without a timeout in the settings, the client has none: the call here is reported.
    (tmp_path / "app/settings.py").write_text("import os\nTIMEOUT = float(os.environ['TIMEOUT'])\nRETRIES = 4\n")
    assert check(tmp_path, "--select", "ANT401")[0] == []  # not provable: silent
    (tmp_path / "app/settings.py").write_text("RETRIES = 4\n")
    (tmp_path / "app/clients.py").write_text(textwrap.dedent(files["app/clients.py"]).replace(", timeout=settings.TIMEOUT", ""))
    assert check(tmp_path, "--select", "ANT401")[0] == [("ANT401", "app/main.py", 3, 1)]


def test_a_helper_of_another_module_that_builds_the_keyword_arguments(tmp_path: Path) -> None:
    found, messages = check(
        project(
            tmp_path,
            {
                **SETTINGS,
                "app/requests.py": """
                    from .settings import MAX_TOKENS


                    def build_request(prompt):
                        return {"model": "m", "max_tokens": MAX_TOKENS, "messages": [prompt]}


                    def build_short(prompt):
                        request = {"model": "m", "messages": [prompt]}
                        request["max_tokens"] = 512
                        return request


                    def client_params():
                        return {"timeout": None, "max_retries": 3}


                    def some_params(fast):
                        if fast:
                            return {"timeout": 10.0}
                        return {"max_retries": 3}
                """,
                "app/main.py": """
                    import anthropic

                    from .requests import build_request, build_short, client_params, some_params

                    client = anthropic.Anthropic(timeout=900.0)
                    client.messages.create(**build_request("hi"))
                    client.messages.create(**build_short("hi"))
                    other = anthropic.Anthropic(**client_params())
                    unknown = anthropic.Anthropic(**some_params(True))
                    unknown.messages.create(model="m", max_tokens=512, messages=[])
                """,
            },
        ),
        "--select",
        "ANT101,ANT401,ANT402",
    )
    assert found == [("ANT101", "app/main.py", 6, 1), ("ANT402", "app/main.py", 8, 9)]
    assert messages[found[0]].startswith("max_tokens=8,192 (constant MAX_TOKENS, app/settings.py:3) without streaming")
    assert messages[found[1]].startswith("timeout None on Anthropic() (constant timeout in client_params(), app/requests.py:14)")


def test_standard_input_is_linked_with_the_project(tmp_path: Path) -> None:
    """An editor or a script checking an unsaved buffer sees what the saved modules export."""
    project(tmp_path, FACTORY)
    buffer = "from app.clients import make_client\n\nmake_client().messages.create(model='m', max_tokens=512, messages=[])\n"
    code, out, err = auditor(tmp_path, "check", "-", "--stdin-filename", "app/new.py", "--output-format", "concise", "-q", stdin=buffer)
    assert (code, err) == (1, "")
    assert out.startswith("app/new.py:3:1: ANT401 make_client() (Anthropic(), app/clients.py:4) and the call on line 3 set no timeout")


def test_diff_base_judges_the_change_with_the_same_links(tmp_path: Path) -> None:
    """The base revision is linked too: a finding that crosses a module and was already there is
    not new; the one the change adds is."""
    from tests.conftest import git_env

    env = git_env(tmp_path)
    root = project(tmp_path / "repo", FACTORY)

    def git(*args: str) -> None:
        import subprocess

        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    with (root / "app/main.py").open("a") as stream:
        stream.write("\n\ndef again(q):\n    return make_client().messages.create(model='m', max_tokens=512, messages=[q])\n")
    git("commit", "-qam", "more")
    code, out, err = auditor(root, "check", ".", "--diff-base", "main", "--output-format", "concise", "-q", env=env)
    assert (code, err) == (1, "")
    assert [line.split(": ")[0] for line in out.splitlines()] == ["app/main.py:18:12"]
    assert out.startswith("app/main.py:18:12: ANT401 make_client() (Anthropic(), app/clients.py:4) and the call on line 18 set no timeout")


def test_the_language_server_links_an_open_buffer_with_the_saved_modules(tmp_path: Path) -> None:
    import shutil

    from tests.lsp_client import LspClient

    root = project(tmp_path, FACTORY)
    (root / ".git").mkdir()
    client = LspClient([shutil.which("auditor") or "auditor", "server"], root, root / "server.log")
    try:
        client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        uri = (root / "app" / "main.py").as_uri()
        text = (root / "app" / "main.py").read_text()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        [diagnostic] = client.expect("textDocument/publishDiagnostics")["diagnostics"]
        assert (diagnostic["code"], diagnostic["range"]["start"]) == ("ANT401", {"line": 4, "character": 13})
        assert diagnostic["message"].startswith("make_client() (Anthropic(), app/clients.py:4) and the call on line 6 set no timeout")
        client.request("shutdown", None)
        client.notify("exit", None)
        assert client.wait() == 0
    finally:
        client.close()


def test_config_fields_of_every_kind_and_the_sdk_not_given(tmp_path: Path) -> None:
    """pydantic, dataclass and attrs fields with declared defaults are "may be"; a timeout field
    defaulting to None that reaches the client unguarded is ANT402; NOT_GIVEN is the SDK default."""
    found, messages = check(
        project(
            tmp_path,
            {
                **CONFIG,
                "app/config.py": """
                    import dataclasses

                    import attr
                    from pydantic import BaseModel, Field


                    class Settings(BaseModel):
                        max_tokens: int = Field(8192, ge=1)
                        timeout: float | None = Field(default=None)


                    @dataclasses.dataclass
                    class Limits:
                        max_tokens: int = dataclasses.field(default=12000)
                        retries: int = dataclasses.field(default_factory=lambda: 3)


                    @attr.s
                    class Budget:
                        timeout = attr.ib(default=30.0)
                """,
                "app/main.py": """
                    import anthropic

                    from .config import Budget, Limits, Settings


                    def run(settings: Settings, limits: Limits, budget: Budget, q):
                        unguarded = anthropic.Anthropic(timeout=settings.timeout)
                        bounded = anthropic.Anthropic(timeout=budget.timeout)
                        bounded.messages.create(model="m", max_tokens=settings.max_tokens, messages=[q])
                        bounded.messages.create(model="m", max_tokens=limits.max_tokens, messages=[q])
                        sentinel = anthropic.Anthropic(timeout=anthropic.NOT_GIVEN)
                        sentinel.messages.create(model="m", max_tokens=512, messages=[q], timeout=anthropic.NOT_GIVEN)
                """,
            },
        ),
        "--select",
        "ANT101,ANT401,ANT402",
    )
    assert found == [
        ("ANT402", "app/main.py", 7, 45),
        ("ANT101", "app/main.py", 9, 5),
        ("ANT101", "app/main.py", 10, 5),
        ("ANT401", "app/main.py", 11, 16),
    ]
    assert messages[found[0]].startswith("timeout may be None on Anthropic() (default of field timeout of Settings, app/config.py:9)")
    assert messages[found[1]].startswith("max_tokens may be 8,192 (default of field max_tokens of Settings, app/config.py:8)")
    assert messages[found[2]].startswith("max_tokens may be 12,000 (default of field max_tokens of Limits, app/config.py:14)")
