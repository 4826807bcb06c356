#!/usr/bin/env bash
# The shell step of action.yml: run tmcode check once, write every report, add the Markdown to
# the job summary, and hand the exit code to the gate step (this step itself never fails, so
# that the summary and SARIF upload still happen).
set -uo pipefail
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tmcode"
mkdir -p "$out"
baseline=""
if [ -n "${TMCODE_BASELINE:-}" ] && [ -f "$TMCODE_BASELINE" ]; then
  # Copy first: the baseline may be an earlier run's report in this very directory.
  baseline="$out/baseline-input.json"
  cp "$TMCODE_BASELINE" "$baseline.tmp" && mv "$baseline.tmp" "$baseline"
fi
rm -f "$out"/tmcode.json "$out"/tmcode.sarif "$out"/tmcode.md "$out"/tmcode.txt "$out"/stderr.txt
args=(check)
# Word-splitting and glob expansion of the model list are intended here.
# shellcheck disable=SC2206
models=(${TMCODE_MODELS:?set the models input})
args+=("${models[@]}" --fail-on "${TMCODE_FAIL_ON:-high}")
for dir in ${TMCODE_CATALOG:-}; do args+=(--catalog "$dir"); done
if [ -n "$baseline" ]; then
  args+=(--baseline "$baseline")
  [ "${TMCODE_FAIL_ON_NEW:-false}" = "true" ] && args+=(--fail-on-new)
elif [ -n "${TMCODE_BASELINE:-}" ]; then
  echo "::warning::baseline $TMCODE_BASELINE not found; gating on all findings"
fi
args+=(-f json -o "$out/tmcode.json" -f sarif -o "$out/tmcode.sarif" -f markdown -o "$out/tmcode.md" -f text -o "$out/tmcode.txt")
tmcode "${args[@]}" 2> "$out/stderr.txt"
code=$?
cat "$out/stderr.txt" >&2
[ -f "$out/tmcode.txt" ] && cat "$out/tmcode.txt"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -f "$out/tmcode.md" ]; then
    cat "$out/tmcode.md" >> "$GITHUB_STEP_SUMMARY"
  else
    { echo "## tmcode could not check the models"; echo; echo '```'; cat "$out/stderr.txt"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
  fi
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    [ -f "$out/tmcode.json" ] && echo "json=$out/tmcode.json"
    [ -f "$out/tmcode.sarif" ] && echo "sarif=$out/tmcode.sarif"
    [ -f "$out/tmcode.md" ] && echo "markdown=$out/tmcode.md"
  } >> "$GITHUB_OUTPUT"
fi
exit 0
