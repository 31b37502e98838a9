#!/usr/bin/env bash
# bench/compare-builds.sh OLD_ROOT NEW_ROOT [WORK] — the same Parquet-heavy exports with two
# builds of qa-hf (each ROOT a checkout with dist/ built), compared byte for byte. For a change
# that must not change output bytes (issue 17), e.g. the build of main against this one:
#   git -C /work/main archive main | tar -x -C /tmp/base && cp -a node_modules /tmp/base/ \
#     && (cd /tmp/base && npm run build) && bash bench/compare-builds.sh /tmp/base .
# Exports: every sample (with its preset: squad has a list<string> column) as jsonl+parquet
# with a split, snappy and zstd; a generated 30 000-record corpus with bad lines (rejected
# config, dead letter) in the Hub layout with three splits, tiers, 2 MB shards (several shards,
# several row groups each), snappy and zstd, with --workers 0 and 2. Exits 1 on any difference.
set -euo pipefail
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
work=${3:-$(mktemp -d)}
mkdir -p "$work"
node "$new/dist/bench/generate.js" --records 30000 --seed 17 --bad-line-rate 0.01 --out "$work/corpus.jsonl" 2>/dev/null

run() { # run NAME ARGS…: the export with both builds into $work/{old,new}/NAME
  local name=$1
  shift
  for side in old new; do
    local root=${!side}
    rm -rf "$work/$side/$name"
    mkdir -p "$work/$side"
    (cd "$root" && node dist/cli.js export "$@" --out "$work/$side/$name" --quiet) || echo "($side $name: exit $?)"
  done
}

for input in "$new"/samples/*.jsonl; do
  name=$(basename "$input" .jsonl)
  preset=()
  for candidate in "$new"/presets/*.yaml; do
    candidate=$(basename "$candidate" .yaml)
    if [[ "$name" == "${candidate}_"* ]]; then preset=(--preset "$candidate"); fi
  done
  run "$name-snappy" "$input" "${preset[@]}" --format jsonl,parquet --split train=0.7,test=0.3
  run "$name-zstd" "$input" "${preset[@]}" --format jsonl,parquet --split train=0.7,test=0.3 --compress zstd
done
hub=(--format jsonl,parquet,csv --split train=0.8,validation=0.1,test=0.1 --tiers high=0.85,medium=0.7 --max-shard-size 2MB)
run corpus-snappy "$work/corpus.jsonl" "${hub[@]}"
run corpus-zstd "$work/corpus.jsonl" "${hub[@]}" --compress zstd --compress-level 5
run corpus-workers2 "$work/corpus.jsonl" "${hub[@]}" --workers 2

# What differs between any two runs: the run's time in stats.json, the manifest's created_at and
# its line for stats.json. Taken out of both sides (in place); every other byte is compared.
for side in old new; do
  find "$work/$side" \( -name stats.json -o -name manifest.json \) -print0 | xargs -0 node -e '
    const fs = require("fs");
    for (const file of process.argv.slice(1)) {
      const json = JSON.parse(fs.readFileSync(file, "utf8"));
      if (file.endsWith("stats.json") && json.run) for (const key of ["duration_s", "input_mb_per_s", "records_per_s"]) delete json.run[key];
      if (file.endsWith("manifest.json")) {
        delete json.created_at;
        json.outputs = json.outputs.filter((output) => !output.path.endsWith("stats.json"));
      }
      fs.writeFileSync(file, JSON.stringify(json, null, 2));
    }'
done

files=$(cd "$work/new" && find . -type f | wc -l)
parquet=$(cd "$work/new" && find . -type f -name '*.parquet' | wc -l)
if diff -r "$work/old" "$work/new" >"$work/diff.txt"; then
  echo "identical: $files files ($parquet Parquet) in $work/{old,new}"
else
  echo "DIFFERENT ($files files): see $work/diff.txt"
  head -20 "$work/diff.txt"
  exit 1
fi
