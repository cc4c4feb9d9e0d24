"""Find, read, validate and merge configuration: `[tool.auditor]`, `auditor.toml`, `.auditor.toml`.

Every mistake in a configuration file is a `ConfigError` naming the file and the key, which the
CLI prints and exits 2 on: a user never sees a traceback for a typo.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.files import UnreadableFile, read_regular_file

if TYPE_CHECKING:
    from auditor.project_sdk import Pin

CONFIG_FILES = (".auditor.toml", "auditor.toml", "pyproject.toml")
# Far beyond any real configuration file; a larger one is refused rather than read into memory.
MAX_CONFIG_BYTES = 4 * 1024 * 1024

DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".auditor_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

FAIL_ON = ("error", "warning")

OUTPUT_FORMATS = (
    "full",
    "concise",
    "json",
    "json-lines",
    "sarif",
    "github",
    "gitlab",
    "junit",
    "markdown",
)


class ConfigError(Exception):
    """A configuration problem, worded for the user: exit code 2."""


@dataclass(frozen=True)
class RuleSelection:
    """One layer of rule selection (a configuration file, or the command line): `select` None
    keeps what the layers below chose (see auditor.rule.resolve_selection)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class SdkSettings:
    """A project's own names for SDK things (qualified names, as imported)."""

    client_classes: tuple[str, ...] = ()
    client_factories: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveSettings:
    model: str = "claude-haiku-4-5"
    max_tokens: int = 64
    timeout: float = 60.0
    max_retries: int = 2
    prompt: str = "Reply with the single word: ready"
    base_url: str | None = None
    deadline: float = 300.0  # the whole live check: three 60 s attempts and their backoff fit


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    output_format: str = "full"
    max_tokens_threshold: int = 4096
    max_total_wait: float | None = None
    retry_decorators: tuple[str, ...] = ()
    report_unused_ignores: bool = False
    fail_on: str = "warning"  # the lowest severity that makes `auditor check` exit 1
    fix: bool = False
    unsafe_fixes: bool = False
    fix_timeout: float = 600.0  # the timeout the ANT401/ANT402 fixes write (the SDK's default)
    fixable: tuple[str, ...] = ("ALL",)
    unfixable: tuple[str, ...] = ()
    # The SDK version whose facts apply: the configuration's, else the project's own pin
    # (auditor.project_sdk), else the newest auditor knows.
    target_sdk_version: str = "current"
    sdk: SdkSettings = SdkSettings()
    live: LiveSettings = LiveSettings()
    # --select, --extend-select, --ignore: a layer above the file's own selection.
    command_line: RuleSelection = RuleSelection()
    # Where each key came from ("default" or a file path), and the project root it applies to.
    sources: tuple[tuple[str, str], ...] = ()
    config_file: Path | None = None
    root: Path = field(default_factory=Path.cwd)

    def source_of(self, key: str) -> str:
        return dict(self.sources).get(key, "default")

    def rule_selection(self) -> tuple[RuleSelection, ...]:
        """The layers that choose the rules, lowest priority first."""
        return RuleSelection(self.select, self.extend_select, self.ignore), self.command_line

    def fingerprint(self) -> str:
        """A stable text of every setting that can change findings (the cache keys on it)."""
        skip = {"sources", "config_file", "root", "output_format", "fail_on", "live", "fix", "unsafe_fixes", "fixable", "unfixable"}
        return repr([(f.name, getattr(self, f.name)) for f in fields(self) if f.name not in skip])


# ---------------------------------------------------------------------------------------------
# Validation: one checker per value type, each returning the converted value or raising.


class _WrongType(Exception):
    def __init__(self, expected: str) -> None:
        self.expected = expected


class _Invalid(Exception):
    """A value of the right type that is still wrong; the message says why."""


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _WrongType("a number")
    if not math.isfinite(value):  # TOML has nan and inf
        raise _WrongType("a finite number")
    if value < 0:
        raise _WrongType("a number of zero or more")
    return float(value)


def _timeout_seconds(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 < value < float("inf"):  # also NaN
        raise _WrongType("a finite number of seconds above zero")
    return _number(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _WrongType("an integer")
    if value < 0:
        raise _WrongType("an integer of zero or more")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _WrongType("a string")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _WrongType("a list of strings")
    return tuple(value)


def _patterns(value: Any) -> tuple[str, ...]:
    """`.gitignore`-style patterns, compiled now so that a bad one is a configuration error
    rather than a crash while walking the tree."""
    import pathspec

    patterns = _strings(value)
    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception as error:  # pathspec's own errors, and re.error for a bad [range]
            detail = f" ({error.msg})" if isinstance(error, re.error) else ""
            raise _Invalid(f"invalid pattern {pattern!r}{detail}") from None
    return patterns


def _table_of_strings(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise _WrongType("a table of pattern = [codes]")
    out = []
    for pattern, codes in value.items():
        out.append((pattern, _strings(codes)))
    return tuple(out)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _WrongType("true or false")
    return value


def _output_format(value: Any) -> str:
    text = _string(value)
    if text not in OUTPUT_FORMATS:
        raise _WrongType("one of " + ", ".join(OUTPUT_FORMATS))
    return text


def _fail_on(value: Any) -> str:
    text = _string(value)
    if text not in FAIL_ON:
        raise _WrongType("one of " + ", ".join(FAIL_ON))
    return text


def _sdk_version(value: Any) -> str:
    from auditor.sdk.versions import target_version

    if not isinstance(value, str):
        raise _WrongType('a string: "current" or an SDK version such as "0.40.0"')
    try:
        return target_version(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None


# key in the file -> (attribute, checker)
TOP_LEVEL_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "select": ("select", _strings),
    "ignore": ("ignore", _strings),
    "extend-select": ("extend_select", _strings),
    "exclude": ("exclude", _patterns),
    "extend-exclude": ("extend_exclude", _patterns),
    "per-file-ignores": ("per_file_ignores", _table_of_strings),
    "output-format": ("output_format", _output_format),
    "max-tokens-threshold": ("max_tokens_threshold", _integer),
    "max-total-wait": ("max_total_wait", _number),
    "retry-decorators": ("retry_decorators", _strings),
    "report-unused-ignores": ("report_unused_ignores", _boolean),
    "fail-on": ("fail_on", _fail_on),
    "fix": ("fix", _boolean),
    "unsafe-fixes": ("unsafe_fixes", _boolean),
    "fix-timeout": ("fix_timeout", _timeout_seconds),
    "fixable": ("fixable", _strings),
    "unfixable": ("unfixable", _strings),
    "target-sdk-version": ("target_sdk_version", _sdk_version),
}
SDK_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "client-classes": ("client_classes", _strings),
    "client-factories": ("client_factories", _strings),
    "wrappers": ("wrappers", _strings),
}
LIVE_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "model": ("model", _string),
    "max-tokens": ("max_tokens", _integer),
    "timeout": ("timeout", _number),
    "max-retries": ("max_retries", _integer),
    "prompt": ("prompt", _string),
    "base-url": ("base_url", _string),
    "deadline": ("deadline", _number),
}


# ruff's words for which the nearest spelling is not the right key.
_RUFF_KEYS = {"extend-ignore": "ignore", "extend-per-file-ignores": "per-file-ignores"}


def _suggest(key: str, known: list[str]) -> str:
    """`did you mean 'max-total-wait'?` for a near miss, else the list of known keys."""
    if _RUFF_KEYS.get(key) in known:
        return f"did you mean {_RUFF_KEYS[key]!r}?"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6) or difflib.get_close_matches(key.lower().replace("_", "-"), known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(sorted(known))


def _read_section(
    table: dict[str, Any],
    keys: dict[str, tuple[str, Callable[[Any], Any]]],
    where: str,
    label: str,
    tables: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Each key checked and converted; `tables` are the sub-tables this section may also hold
    (read elsewhere), named in suggestions."""
    values: dict[str, Any] = {}
    for key, raw in table.items():
        prefix = f"{where}: {label} {key}" if label else f"{where}: {key}"
        if key not in keys:
            raise ConfigError(f"{prefix}: unknown key ({_suggest(key, [*keys, *tables])})")
        attr, check = keys[key]
        try:
            values[attr] = check(raw)
        except _WrongType as wrong:
            raise ConfigError(f"{prefix}: expected {wrong.expected}, got {raw!r}") from None
        except _Invalid as invalid:
            raise ConfigError(f"{prefix}: {invalid}") from None
    return values


def _read_text(path: Path) -> str:
    """A configuration file's text: a regular file, of sane size, in UTF-8 (as TOML requires)."""
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES, "configuration file")
    except UnreadableFile as error:
        raise ConfigError(f"{_display(path)}: cannot be read: {error.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{_display(path)}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); TOML files must be UTF-8") from None


def _load_table(path: Path) -> tuple[dict[str, Any], str] | None:
    """The auditor table of a config file and its label, or None for a pyproject without one."""
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{_display(path)}: not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{_display(path)}: not valid TOML: nested too deeply") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "auditor" not in tool:
            return None
        table = tool["auditor"]
        if not isinstance(table, dict):
            raise ConfigError(f"{_display(path)}: [tool.auditor] must be a table")
        return table, "tool.auditor"
    return data, ""


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _label(section: str, sub: str) -> str:
    """`[tool.auditor.live]` for a pyproject, `[live]` for auditor.toml, "" for its top level."""
    name = ".".join(part for part in (section, sub) if part)
    return f"[{name}]" if name else ""


def load_settings(path: Path, validate_code: Callable[[str], bool] | None = None) -> Settings:
    """Read one configuration file into Settings (defaults for what it does not set)."""
    loaded = _load_table(path)
    if loaded is None:
        return Settings(config_file=path, root=path.parent.resolve())
    table, section = loaded
    where = _display(path)
    table = dict(table)
    sdk_table = table.pop("sdk", {})
    live_table = table.pop("live", {})
    for name, sub in (("sdk", sdk_table), ("live", live_table)):
        if not isinstance(sub, dict):
            raise ConfigError(f"{where}: {_label(section, name)}: expected a table, got {sub!r}")
    values = _read_section(table, TOP_LEVEL_KEYS, where, _label(section, ""), ("sdk", "live"))
    sdk_values = _read_section(sdk_table, SDK_KEYS, where, _label(section, "sdk"))
    live_values = _read_section(live_table, LIVE_KEYS, where, _label(section, "live"))
    if validate_code is not None:
        _check_codes(values, where, _label(section, ""), validate_code)
    sources = [(key, where) for key in table] + [(f"sdk.{k}", where) for k in sdk_table]
    sources += [(f"live.{k}", where) for k in live_table]
    return Settings(
        **values,
        sdk=SdkSettings(**sdk_values),
        live=LiveSettings(**live_values),
        sources=tuple(sources),
        config_file=path,
        root=path.parent.resolve(),
    )


def _check_codes(values: dict[str, Any], where: str, label: str, valid: Callable[[str], bool]) -> None:
    lists: list[tuple[str, Iterable[str]]] = [
        ("select", values.get("select", ())),
        ("ignore", values.get("ignore", ())),
        ("extend-select", values.get("extend_select", ())),
        ("fixable", values.get("fixable", ())),
        ("unfixable", values.get("unfixable", ())),
    ]
    lists += [("per-file-ignores", codes) for _, codes in values.get("per_file_ignores", ())]
    for key, codes in lists:
        for code in codes:
            if not valid(code):
                prefix = f"{where}: {label} " if label else f"{where}: "
                raise ConfigError(f"{prefix}{key}: unknown rule code or name {code!r}")


def find_config_file(start: Path) -> Path | None:
    """The nearest configuration file at or above `start` (a file's directory, or a directory)."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file():
                if name != "pyproject.toml" or _has_auditor_table(candidate):
                    return candidate
    return None


def _has_auditor_table(path: Path) -> bool:
    """Might this pyproject.toml configure auditor? One whose bytes mention `tool.auditor` is then
    read as TOML, so that one that is not UTF-8 is an error rather than silently skipped; one that
    does not mention it belongs to other tools and is none of auditor's business."""
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES, "configuration file")
    except UnreadableFile:
        return False  # unreadable, or not a regular file: not a candidate, as before
    return b"tool.auditor" in data


def default_root(start: Path | None = None) -> Path:
    """The project root without a configuration file: the repository's top level above `start`
    (default: the working directory), else `start` itself."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def real_path(path: Path) -> Path:
    """`path.resolve()`, except that a symlink loop is left as it is rather than raising."""
    return Path(os.path.realpath(path))


def project_root(paths: Iterable[Path], explicit: Path | None = None) -> Path:
    """The one root of a run: report paths, baseline fingerprints and the cache hang from it.

    Found from the checked paths, never from the working directory, so that a run from a
    sub-directory, from the repository root or from elsewhere agrees: the directory of `--config`,
    else of the nearest configuration file above the paths' common directory, else the git top
    level above it, else the common directory itself.
    """
    if explicit is not None:
        return real_path(explicit).parent
    directories = [str(real_path(p) if p.is_dir() else real_path(p).parent) for p in paths] or [str(Path.cwd().resolve())]
    try:
        common = Path(os.path.commonpath(directories))
    except ValueError:  # paths on different drives
        common = Path(directories[0])
    found = find_config_file(common)
    return found.parent.resolve() if found is not None else default_root(common)


class ConfigResolver:
    """The settings for each file: the nearest configuration file wins, as in ruff.

    With `--config FILE`, that file applies everywhere. Results are cached per directory. A
    directory without a configuration file gets the defaults, rooted at `fallback_root` (the run's
    project root) when given, else at the git top level above the working directory.
    """

    def __init__(
        self,
        explicit: Path | None,
        validate_code: Callable[[str], bool] | None = None,
        fallback_root: Path | None = None,
    ) -> None:
        self._validate = validate_code
        self._fallback_root = fallback_root
        self._by_file: dict[Path, Settings] = {}
        self._by_dir: dict[Path, Settings] = {}
        self._by_name: dict[str, Settings] = {}  # directory as given -> settings, saves a resolve()
        self._pins: dict[Path, Pin | None] = {}  # project root -> the SDK version its files pin
        self._explicit: Settings | None = None
        if explicit is not None:
            if not explicit.exists():
                raise ConfigError(f"{explicit}: no such configuration file")
            self._explicit = self._load(explicit)

    def _load(self, path: Path) -> Settings:
        if path not in self._by_file:
            self._by_file[path] = self._with_sdk_version(load_settings(path, self._validate))
        return self._by_file[path]

    def _with_sdk_version(self, settings: Settings) -> Settings:
        """Without `target-sdk-version` in the file: the version the project's own files pin,
        read once per project root (auditor.project_sdk)."""
        if settings.source_of("target-sdk-version") != "default":
            return settings
        if settings.root not in self._pins:
            from auditor.project_sdk import find_pin

            self._pins[settings.root] = find_pin(settings.root)
        pin = self._pins[settings.root]
        if pin is None:
            return settings
        sources = (*settings.sources, ("target-sdk-version", f"{_display(pin.path)}: {pin.detail}"))
        return dataclasses.replace(settings, target_sdk_version=pin.version, sources=sources)

    def for_path(self, path: Path) -> Settings:
        if self._explicit is not None:
            return self._explicit
        key = str(path) if path.is_dir() else os.path.dirname(path) or "."
        settings = self._by_name.get(key)
        if settings is None:
            directory = Path(key).resolve()
            if directory not in self._by_dir:
                found = find_config_file(directory)
                self._by_dir[directory] = self._load(found) if found else self._with_sdk_version(Settings(root=self._fallback_root or default_root()))
            settings = self._by_name[key] = self._by_dir[directory]
        return settings
