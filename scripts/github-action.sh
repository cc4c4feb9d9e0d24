#!/usr/bin/env bash
# Runs auditor for the GitHub Action in action.yml. Plain bash: it runs the same way outside
# GitHub, with the action's inputs given as environment variables.
#
#   INPUT_PATHS       files and directories to check (default "."), split like a shell would
#   INPUT_ARGS        extra `auditor check` arguments, e.g. "--select ANT4 --ignore ANT403"
#   INPUT_SARIF_FILE  when set, also write a SARIF report there (for codeql-action/upload-sarif)
#   INPUT_PYTHON      the Python that installs auditor (default python3, 3.11 or newer)
#   AUDITOR_ACTION_SKIP_INSTALL=1   use the `auditor` already on PATH instead of installing one
#   GITHUB_STEP_SUMMARY             when set, a Markdown report is appended to this file
#
# Exit status is auditor's own, taken from the annotations run: 0 no findings, 1 findings,
# 2 usage error, bad configuration or a failed installation.
set -euo pipefail

python="${INPUT_PYTHON:-python3}"
action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

fail() {
    # An annotation on GitHub, a readable line anywhere else.
    echo "::error title=auditor::$*"
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

# ---- install --------------------------------------------------------------------------------
if [[ "${AUDITOR_ACTION_SKIP_INSTALL:-}" == 1 ]]; then
    auditor="$(command -v auditor)" || fail "AUDITOR_ACTION_SKIP_INSTALL=1 but no auditor on PATH"
else
    # A virtualenv of its own: works on runners whose system Python refuses `pip install`
    # (PEP 668), and never changes the versions of the project's own packages (anthropic...).
    venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/auditor-action-venv"
    "$python" -m venv "$venv" || fail "cannot create a virtualenv with $python"
    bin="$venv/bin"
    [[ -d "$bin" ]] || bin="$venv/Scripts"   # Windows runners
    "$bin/python" -m pip install --quiet --disable-pip-version-check "$action_path" \
        || fail "cannot install auditor from $action_path"
    auditor="$bin/auditor"
fi

# ---- arguments ------------------------------------------------------------------------------
shell_words "${INPUT_PATHS:-.}"
paths=(.)
[[ ${#words[@]} -eq 0 ]] || paths=("${words[@]}")
shell_words "${INPUT_ARGS:-}"
# The user's arguments come first so that the --output-format given below wins.
common=(check ${words[@]+"${words[@]}"})

# ---- 1. annotations: this run decides the exit status ---------------------------------------
status=0
"$auditor" "${common[@]}" --output-format github -- "${paths[@]}" || status=$?
if [[ $status -ge 2 ]]; then
    exit "$status"   # usage or configuration error: the other reports would fail the same way
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
    echo "::error title=auditor::$*"
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
