#!/usr/bin/env bash
# bench/compare-builds.sh OLD_ROOT NEW_ROOT [WORK] — the same runs with two builds of qa-hf
# (each ROOT a checkout with dist/ built), compared byte for byte. For a change that must not
# change output bytes (issue 17), e.g. the build of main against this one:
#   git -C /work/main archive main | tar -x -C /tmp/base && cp -a node_modules /tmp/base/ \
#     && (cd /tmp/base && npm run build) && bash bench/compare-builds.sh /tmp/base .
# Runs (a few minutes per build on the 2-core bench machine):
#   - every sample (with its preset: squad has a list<string> column) in the simple layout, and
#     as jsonl+parquet with a split, snappy and zstd;
#   - a generated 30 000-record corpus with bad lines (rejected config, dead letter) in the Hub
#     layout with three splits, tiers, 2 MB shards (several shards, several row groups each),
#     snappy and zstd, with --workers 0 and 2;
#   - a dirty 50 000-record corpus (3 % bad lines): the simple layout (plain; with --min-score and
#     the quality rules), the Hub layout with all seven formats, three splits and tiers, gzip and
#     zstd (with --target-samples), pipe mode (plain, with the quality rules and --report, with
#     --workers 2), ranks + merge, `qa-hf report`, and a dry run's summary.
# Each run's stderr is kept too (with its exit code), so a changed message shows.
# Exits 1 on any difference.
set -euo pipefail
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
work=${3:-$(mktemp -d)}
mkdir -p "$work"
node "$new/dist/bench/generate.js" --records 30000 --seed 17 --bad-line-rate 0.01 --out "$work/corpus.jsonl" 2>/dev/null
node "$new/dist/bench/generate.js" --records 50000 --seed 50 --bad-line-rate 0.03 --out "$work/dirty.jsonl" 2>/dev/null

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

declare -A started
cli() { # cli NAME ARGS…: any qa-hf command with both builds, in $work/{old,new}/NAME/ as its folder
  # (@ in an argument stands for it; emptied on its first use in this script, so several commands
  # can build on each other); stdout, stderr and the exit codes appended to files in the folder.
  local name=$1
  shift
  for side in old new; do
    local root=${!side} dir="$work/$side/$name" args=() code=0
    if [[ -z "${started[$side/$name]:-}" ]]; then rm -rf "$dir"; started[$side/$name]=1; fi
    mkdir -p "$dir"
    for arg in "$@"; do args+=("${arg//@/$dir}"); done
    (cd "$root" && node dist/cli.js "${args[@]}" >>"$dir/stdout" 2>"$dir/stderr.now") || code=$?
    echo "$code" >>"$dir/exit"
    sed "s#$dir#@#g; s#$root#ROOT#g" "$dir/stderr.now" >>"$dir/stderr"
    rm "$dir/stderr.now"
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
  run "$name-simple" "$input" "${preset[@]}"
done
hub=(--format jsonl,parquet,csv --split train=0.8,validation=0.1,test=0.1 --tiers high=0.85,medium=0.7 --max-shard-size 2MB)
run corpus-snappy "$work/corpus.jsonl" "${hub[@]}"
run corpus-zstd "$work/corpus.jsonl" "${hub[@]}" --compress zstd --compress-level 5
run corpus-workers2 "$work/corpus.jsonl" "${hub[@]}" --workers 2

dirty=$work/dirty.jsonl
seven=(--format jsonl,parquet,csv,messages,alpaca,sharegpt,prompt-completion --split train=0.8,validation=0.1,test=0.1 --tiers high=0.85,medium=0.7 --max-shard-size 8MB)
run dirty-simple "$dirty"
run dirty-simple-quality "$dirty" --min-score 0.7 --pii redact --dedup exact
run dirty-seven-gzip "$dirty" "${seven[@]}" --compress gzip --pii reject --dedup near
run dirty-seven-zstd "$dirty" "${seven[@]}" --compress zstd --min-score 0.6 --target-samples 20000
cli pipe "$dirty" --rejected @/rejected.jsonl --errors @/errors.jsonl
cli pipe-quality "$dirty" --rejected @/rejected.jsonl --errors @/errors.jsonl --pii redact --dedup near --report @/report
cli pipe-workers2 "$dirty" --workers 2 --errors @/errors.jsonl
cli report report "$dirty" --out @/report --split train=0.9,test=0.1 --dedup exact
cli dry-run export "$dirty" "${seven[@]}" --min-score 0.7 --dry-run
ranks=(--format jsonl,parquet --split train=0.8,validation=0.1,test=0.1 --tiers high=0.85 --dedup exact)
for rank in 0 1 2; do cli ranks export "$dirty" "$work/corpus.jsonl" --out @/out "${ranks[@]}" --rank "$rank" --world-size 3 --quiet; done
cli ranks merge @/out --quiet

# What differs between any two runs: the run's time in stats.json, the manifest's created_at and
# its line for stats.json. Taken out of both sides (in place); every other byte is compared.
for side in old new; do
  find "$work/$side" \( -name stats.json -o -name manifest.json -o -name rank.json \) -print0 | xargs -0 node -e '
    const fs = require("fs");
    for (const file of process.argv.slice(1)) {
      const json = JSON.parse(fs.readFileSync(file, "utf8"));
      if (file.endsWith("stats.json") && json.run) for (const key of ["duration_s", "input_mb_per_s", "records_per_s"]) delete json.run[key];
      if (file.endsWith("rank.json")) delete json.cwd; // the folder each build runs in
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
