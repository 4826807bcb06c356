#!/usr/bin/env bash
# The shell step of action.yml: run tmcode check once, write every report, add the Markdown to
# the job summary, and hand the exit code to the gate step (this step itself never fails, so
# that the summary and SARIF upload still happen). With TMCODE_BASELINE_REF, the models as they
# are at that commit, checked by this same tmcode, are the baseline, and what changed leads the
# summary.
set -uo pipefail
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tmcode"
mkdir -p "$out"
baseline=""
if [ -n "${TMCODE_BASELINE:-}" ] && [ -f "$TMCODE_BASELINE" ]; then
  # Copy first: the baseline may be an earlier run's report in this very directory.
  baseline="$out/baseline-input.json"
  cp "$TMCODE_BASELINE" "$baseline.tmp" && mv "$baseline.tmp" "$baseline"
fi
rm -f "$out"/tmcode.json "$out"/tmcode.sarif "$out"/tmcode.md "$out"/tmcode.txt "$out"/stderr.txt \
  "$out"/tmcode-diff.md "$out"/baseline-ref.json "$out"/baseline-stderr.txt
# Word-splitting and glob expansion of the model list are intended here (globs expand in the
# directory the models are checked in).
model_words="${TMCODE_MODELS:?set the models input}"
extra_args=()
for dir in ${TMCODE_CATALOG:-}; do extra_args+=(--catalog "$dir"); done
# Drift against the repository's agent configs: one more kind of finding, gated the same way.
[ -n "${TMCODE_DISCOVER:-}" ] && extra_args+=(--discover "$TMCODE_DISCOVER")

# Write the JSON report of the models at commit $1 to $2; say why not on stderr and fail if not.
report_at_commit() {
  local ref=$1 report=$2 tree="$out/base-tree" prefix commit code
  case $ref in -* | *[[:space:]]*) echo "not a commit: $ref" >&2; return 1 ;; esac
  if ! git cat-file -e "$ref^{commit}" 2> /dev/null; then
    # A shallow checkout (actions/checkout's default) lacks the base commit: fetch just it.
    git fetch --quiet --no-tags --depth=1 origin "$ref" || return 1
  fi
  commit=$(git rev-parse --verify --quiet "$ref^{commit}") || { echo "no commit $ref" >&2; return 1; }
  prefix=$(git rev-parse --show-prefix) || return 1
  git worktree remove --force "$tree" 2> /dev/null
  rm -rf "$tree"
  git worktree add --quiet --detach "$tree" "$commit" || return 1
  (
    cd "$tree/$prefix" || exit 2
    # shellcheck disable=SC2206
    models=($model_words)
    tmcode check "${models[@]}" ${extra_args[@]+"${extra_args[@]}"} --fail-on none -f json -o "$report"
  )
  code=$?
  git worktree remove --force "$tree"
  [ "$code" -eq 0 ] && [ -f "$report" ]
}

if [ -z "$baseline" ] && [ -n "${TMCODE_BASELINE_REF:-}" ]; then
  if report_at_commit "$TMCODE_BASELINE_REF" "$out/baseline-ref.json" 2> "$out/baseline-stderr.txt"; then
    baseline="$out/baseline-ref.json"
  else
    cat "$out/baseline-stderr.txt" >&2
    echo "::warning::could not check the models at $TMCODE_BASELINE_REF; gating on all findings"
  fi
fi
args=(check)
# shellcheck disable=SC2206
models=($model_words)
args+=("${models[@]}" --fail-on "${TMCODE_FAIL_ON:-high}" ${extra_args[@]+"${extra_args[@]}"})
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
if [ -n "$baseline" ] && [ -f "$out/tmcode.json" ]; then
  tmcode diff "$baseline" "$out/tmcode.json" --format markdown -o "$out/tmcode-diff.md" >&2
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  [ -f "$out/tmcode-diff.md" ] && { cat "$out/tmcode-diff.md"; echo; } >> "$GITHUB_STEP_SUMMARY"
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
    [ -f "$out/tmcode-diff.md" ] && echo "diff=$out/tmcode-diff.md"
    [ -n "$baseline" ] && echo "baseline=$baseline"
  } >> "$GITHUB_OUTPUT"
fi
exit 0
