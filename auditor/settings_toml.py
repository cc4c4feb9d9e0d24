"""The settings in force as TOML that can be pasted under `[tool.auditor]` (or into an
`auditor.toml`) and read back to the same settings, each value with its source as a comment.

`sdk`, `live` and `per-file-ignores` are written with dotted keys (`live.model = ...`), which
define the same tables as `[tool.auditor.live]` while leaving room for a comment on every line.
A key with no value (`max-total-wait` unset) is written commented out.
"""

from __future__ import annotations

from auditor.config import LIVE_KEYS, SDK_KEYS, TOP_LEVEL_KEYS, Settings

# What TOML requires escaped in a basic string, beside the quote and the backslash.
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """A bare key when TOML allows one (`tests`), else quoted (`"tests/*"`)."""
    if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        return key
    return toml_string(key)


def toml_value(value: object) -> str:
    """A value as TOML writes it: `true`, `300` for a whole number of seconds, `12.5`, a quoted
    string, an array."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def settings_toml(settings: Settings) -> str:
    lines = []

    def add(key: str, value: object, source: str) -> None:
        if value is None:
            lines.append(f"# {key} = (unset)  # {source}")
        else:
            lines.append(f"{key} = {toml_value(value)}  # {source}")

    for key, (attr, _) in TOP_LEVEL_KEYS.items():
        value = getattr(settings, attr)
        source = settings.source_of(key)
        if key == "per-file-ignores":
            if not value:
                lines.append(f"per-file-ignores = {{}}  # {source}")
            for pattern, codes in value:
                add(f"per-file-ignores.{toml_key(pattern)}", codes, source)
        else:
            add(key, value, source)
    for prefix, keys, holder in (("sdk", SDK_KEYS, settings.sdk), ("live", LIVE_KEYS, settings.live)):
        for key, (attr, _) in keys.items():
            add(f"{prefix}.{key}", getattr(holder, attr), settings.source_of(f"{prefix}.{key}"))
    return "\n".join(lines) + "\n"
