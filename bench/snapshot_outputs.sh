#!/usr/bin/env bash
# Write every output of every example model into DIR, to compare two revisions byte for byte:
#   bench/snapshot_outputs.sh /tmp/before; (change code); bench/snapshot_outputs.sh /tmp/after
#   diff -r /tmp/before /tmp/after
set -u
out=${1:?usage: bench/snapshot_outputs.sh DIR}
tm=${TMCODE:-.venv/bin/tmcode}
mkdir -p "$out"
for m in models/*.yaml models/mitigated/*.yaml tests/contract/examples/*.yaml; do
  n=$(echo "$m" | tr / _)
  "$tm" check "$m" --today 2026-11-26 --fail-on none -f json -f sarif -f markdown -f html -f junit -f text \
    -o "$out/$n.json" -o "$out/$n.sarif" -o "$out/$n.md" -o "$out/$n.html" -o "$out/$n.xml" \
    -o "$out/$n.txt" >/dev/null 2>"$out/$n.check.err"
  "$tm" diagram "$m" -f dot >"$out/$n.dot" 2>&1
  "$tm" diagram "$m" -f mermaid >"$out/$n.mmd" 2>&1
  "$tm" bom "$m" >"$out/$n.bom.json" 2>&1
  "$tm" export "$m" -f otm >"$out/$n.otm.json" 2>&1
done
"$tm" docs models/*.yaml --today 2026-11-26 --output "$out/site" >/dev/null 2>&1
for f in tests/interchange/*.yaml; do
  "$tm" import threagile "$f" -o "$out/import-$(basename "$f")" --force >"$out/import-$(basename "$f").log" 2>&1
done
for m in "$out"/*.otm.json; do
  "$tm" import otm "$m" -o "$m.yaml" --force >"$m.log" 2>&1
done
