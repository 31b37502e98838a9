#!/usr/bin/env bash
# Rewrites samples/expected/ from the current build. Review the diff before committing:
# the sample test compares against these bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
for input in samples/*.jsonl; do
  name=$(basename "$input" .jsonl)
  # A sample named <preset>_… runs with --preset <preset> (test/samples.test.ts presetArgs).
  preset=()
  for candidate in presets/*.yaml; do
    candidate=$(basename "$candidate" .yaml)
    if [[ "$name" == "${candidate}_"* ]]; then preset=(--preset "$candidate"); fi
  done
  node dist/cli.js "$input" "${preset[@]}" --rejected "samples/expected/$name.rejected.jsonl" \
    --errors "samples/expected/$name.errors.jsonl" > "samples/expected/$name.pairs.jsonl" 2> "samples/expected/$name.summary.txt"
done
