#!/usr/bin/env bash
# Runs auditor for the GitHub Action in action.yml. Plain bash: it runs the same way outside
# GitHub, with the action's inputs given as environment variables.
#
#   INPUT_PATHS       files and directories to check (default "."), split like a shell would
#   INPUT_ARGS        extra `auditor check` arguments, e.g. "--select ANT4 --ignore ANT403"
#   INPUT_SARIF_FILE  when set, also write a SARIF report there (for codeql-action/upload-sarif)
#   INPUT_PYTHON      the Python that installs auditor (default python3, 3.11 or newer)
#   INPUT_VERSION     empty: install the action's own checkout; else that release from PyPI
#   AUDITOR_ACTION_VENV             where the environment lives (action.yml caches it)
#   AUDITOR_ACTION_SKIP_INSTALL=1   use the `auditor` already on PATH instead of installing one
#   GITHUB_STEP_SUMMARY             when set, a Markdown report is appended to this file
#   GITHUB_EVENT_NAME, GITHUB_BASE_REF   on a pull request, its own findings are annotated first
#
# `github-action.sh --environment` prints `venv=PATH` and `key=KEY` (for $GITHUB_OUTPUT): the
# environment's place and a cache key naming the auditor version, its files and the Python.
#
# Exit status is auditor's own, taken from the annotations run: 0 no findings, 1 findings,
# 2 usage error, bad configuration or a failed installation, 3 internal error.
set -euo pipefail

python="${INPUT_PYTHON:-python3}"
action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
venv="${AUDITOR_ACTION_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/auditor-action-venv}"
version="${INPUT_VERSION:-}"
status=0

# report_error MESSAGE: an annotation on GitHub (a readable line anywhere else), and a line in the
# job summary, where a reader looks first.
report_error() {
    local data="$1"
    data="${data//%/%25}"
    data="${data//$'\r'/%0D}"
    data="${data//$'\n'/%0A}"
    echo "::error title=auditor::$data"
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
        printf '**auditor error:** %s\n\n' "${1//</&lt;}" >> "$GITHUB_STEP_SUMMARY" || true
    fi
}

fail() {
    report_error "$*"
    exit 2
}

# shell_words TEXT: split TEXT the way a POSIX shell would (quotes allowed, nothing expanded)
# into the array `words`.
shell_words() {
    local out word
    out="$("$python" - "$1" <<'PY'
import shlex, sys
try:
    print("\n".join(shlex.split(sys.argv[1])))
except ValueError as error:  # an unclosed quote
    sys.exit(f"{error}")
PY
)" || fail "cannot split into arguments: $1"
    words=()
    if [[ -n "$out" ]]; then
        while IFS= read -r word; do
            words+=("$word")
        done <<< "$out"
    fi
}

command -v "$python" > /dev/null || fail "no Python interpreter '$python' (set the python input)"
if [[ -n "$version" && ! "$version" =~ ^[0-9][0-9A-Za-z.+!_-]*$ ]]; then
    fail "version '$version' is not a release version such as 0.2.0 (leave it empty to use the action's own checkout)"
fi

# environment_key: changes whenever the environment would: another auditor (the release asked
# for, or the checkout's version and files), another Python, another place.
environment_key() {
    "$python" - "$action_path" "$version" "$venv" <<'PY'
import hashlib, pathlib, platform, re, sys

action, version, venv = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
digest = hashlib.sha256(f"{sys.version}|{sys.executable}|{platform.machine()}|{venv}".encode())
if not version:
    project = (action / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M)
    version = (found[1] if found else "unknown") + "-checkout"
    for path in sorted([action / "pyproject.toml", *(action / "auditor").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(action).as_posix().encode() + b"\0" + path.read_bytes())
print(f"auditor-{version}-py{sys.version_info[0]}.{sys.version_info[1]}-{digest.hexdigest()[:16]}")
PY
}

if [[ "${1:-}" == --environment ]]; then
    key="$(environment_key)" || fail "cannot compute the environment's cache key with $python"
    echo "venv=$venv"
    echo "key=$key"
    exit 0
fi

# ---- install --------------------------------------------------------------------------------
# A virtualenv of its own: works on runners whose system Python refuses `pip install` (PEP 668),
# and never changes the versions of the project's own packages. Plain `auditor`, no extras: the
# checks never import the Anthropic SDK.
if [[ "${AUDITOR_ACTION_SKIP_INSTALL:-}" == 1 ]]; then
    auditor="$(command -v auditor)" || fail "AUDITOR_ACTION_SKIP_INSTALL=1 but no auditor on PATH"
else
    key="$(environment_key)" || fail "cannot compute the environment's cache key with $python"
    stamp="$venv/.auditor-action-key"
    bin="$venv/bin"
    [[ -d "$bin" || ! -d "$venv/Scripts" ]] || bin="$venv/Scripts"   # Windows runners
    if [[ -x "$bin/auditor" && -f "$stamp" && "$(cat "$stamp")" == "$key" ]]; then
        echo "auditor: using the cached environment $venv" >&2
    else
        if [[ -e "$venv" && ! -f "$stamp" && -n "$(ls -A "$venv" 2> /dev/null)" ]]; then
            fail "$venv exists and was not made by this action: not replacing it (set AUDITOR_ACTION_VENV)"
        fi
        "$python" -m venv --clear "$venv" || fail "cannot create a virtualenv with $python"
        bin="$venv/bin"
        [[ -d "$bin" ]] || bin="$venv/Scripts"
        requirement="$action_path"
        [[ -z "$version" ]] || requirement="auditor==$version"
        "$bin/python" -m pip install --quiet --disable-pip-version-check "$requirement" \
            || fail "cannot install auditor from ${requirement}"
        echo "$key" > "$stamp"
    fi
    auditor="$bin/auditor"
fi

# ---- arguments ------------------------------------------------------------------------------
shell_words "${INPUT_PATHS:-.}"
paths=(.)
[[ ${#words[@]} -eq 0 ]] || paths=("${words[@]}")
shell_words "${INPUT_ARGS:-}"
# The user's arguments come first so that the --output-format given below wins.
common=(check ${words[@]+"${words[@]}"})
diff_base_given=0
for word in ${words[@]+"${words[@]}"}; do
    [[ "$word" != --diff-base && "$word" != --diff-base=* ]] || diff_base_given=1
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# ---- 1. annotations: this run decides the exit status ---------------------------------------
"$auditor" "${common[@]}" --output-format github -- "${paths[@]}" > "$scratch/all" 2> "$scratch/errors" || status=$?
cat "$scratch/errors" >&2

# GitHub shows only the first 10 annotations of each kind per step: on a pull request, the
# findings it brings (`--diff-base` against its base branch) come first, so that legacy findings
# cannot crowd them out. That needs the base branch's history (fetch-depth: 0).
ordered=0
if [[ $status -lt 2 && $diff_base_given == 0 && "${GITHUB_EVENT_NAME:-}" == pull_request* && -n "${GITHUB_BASE_REF:-}" ]]; then
    if "$auditor" "${common[@]}" --output-format github --exit-zero --diff-base "origin/$GITHUB_BASE_REF" \
        -- "${paths[@]}" > "$scratch/new" 2> "$scratch/new-errors"; then
        cat "$scratch/new"
        grep -vxF -f "$scratch/new" "$scratch/all" || true
        ordered=1
    else
        reason="$(head -n 1 "$scratch/new-errors")"
        echo "auditor: annotations are in path order: --diff-base origin/$GITHUB_BASE_REF failed (${reason#auditor: error: });" \
            "check out with fetch-depth: 0 to annotate the pull request's own findings first" >&2
    fi
fi
[[ $ordered == 1 ]] || cat "$scratch/all"

if [[ $status -ge 2 ]]; then
    # A usage, configuration or internal error: each message becomes an annotation and a line in
    # the job summary. The other reports would fail the same way, so they are not attempted.
    reported=0
    while IFS= read -r line; do
        case "$line" in
            "auditor: error: "*) report_error "${line#auditor: error: }"; reported=1 ;;
            "auditor: internal error: "*) report_error "${line#auditor: }"; reported=1 ;;
            "Error: "*) report_error "${line#Error: }"; reported=1 ;;   # click's usage errors
        esac
    done < "$scratch/errors"
    [[ $reported == 1 ]] || report_error "auditor check failed with exit status $status"
    exit "$status"
fi

# ---- 2. and 3. the step summary and SARIF: reports only, --exit-zero -------------------------
# With --exit-zero these exit 0 unless something went wrong (say, an unwritable SARIF path);
# that is reported and turns a clean verdict into an error, but never hides findings.
# report WHAT APPEND_TO ARGS...: run auditor with ARGS, its standard output appended to the file
# APPEND_TO ("-": left on standard output).
report() {
    local what="$1" append_to="$2" code=0
    shift 2
    if [[ "$append_to" == - ]]; then
        "$auditor" "${common[@]}" --exit-zero "$@" -- "${paths[@]}" || code=$?
    else
        "$auditor" "${common[@]}" --exit-zero "$@" -- "${paths[@]}" >> "$append_to" || code=$?
    fi
    [[ $code -eq 0 ]] || report_failed "writing the $what failed (exit status $code)"
}

report_failed() {
    report_error "$*"
    [[ $status -ne 0 ]] || status=2
}

if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    report "step summary" "$GITHUB_STEP_SUMMARY" --output-format markdown
    echo >> "$GITHUB_STEP_SUMMARY"   # end the last line: later steps may append to the summary
fi

if [[ -n "${INPUT_SARIF_FILE:-}" ]]; then
    if mkdir -p "$(dirname "$INPUT_SARIF_FILE")"; then
        report "SARIF report" - --output-format sarif --output-file "$INPUT_SARIF_FILE"
    else
        report_failed "cannot create the directory of $INPUT_SARIF_FILE"
    fi
fi

exit "$status"
