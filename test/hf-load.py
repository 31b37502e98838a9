"""
hf-load: every config and split an export's dataset card declares, loaded with HF `datasets`
exactly as the card's own Loading snippet says, checked against the card; then every
LLaMA-Factory dataset of dataset_info.json, loaded as LLaMA-Factory loads it.

    python test/hf-load.py EXPORT_DIR...

The card's Loading block is run statement by statement (cwd: the folder its paths are relative
to); after each `ds = load_dataset(...)` the loaded DatasetDict is checked:
  - its splits are those the card's Splits table gives rows for, with exactly those counts (and
    the YAML dataset_info's num_examples for a declared config);
  - its features equal the declared ones (the YAML dataset_info for a declared config, the
    "Fields per config" list for one loaded by files): one type per column, a string column of
    digits a string;
  - every config of the Configurations table is loaded by exactly one call.
LLaMA-Factory (src/llamafactory/data/parser.py, loader.py, v0.9): `script_url` is
load_dataset(os.path.join(dataset_dir, script_url), name=subset, split=split); `file_name` is a
file, or a folder whose files all go into the one split, typed by the last extension
(FILEEXT2TYPE). Each entry, named `{prefix}_{config}_{split}`, must hold exactly the rows of that
config's split as the card loads it, and name columns its rows have.

Prints one line per check and "ok: …" per folder; the first mismatch ends it (exit 1).
"""
import ast
import atexit
import json
import os
import re
import shutil
import sys
import tempfile

# Local files only, and a fresh cache: a stale cache of an earlier export in the same path would hide a change.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="qa-hf-datasets-cache-")
atexit.register(shutil.rmtree, os.environ["HF_DATASETS_CACHE"], ignore_errors=True)

import datasets  # noqa: E402
import yaml  # noqa: E402 (a dependency of datasets)
from datasets import Features, List, Value  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

BUILDERS = ("json", "csv", "parquet")
# LLaMA-Factory's FILEEXT2TYPE (src/llamafactory/extras/constants.py).
FILEEXT2TYPE = {"arrow": "arrow", "csv": "csv", "json": "json", "jsonl": "json", "parquet": "parquet", "txt": "text"}


def fail(message):
    raise SystemExit(f"hf-load: {message}")


def section(text, heading):
    """The text under `## heading` up to the next `## `."""
    start = text.find(f"\n## {heading}\n")
    if start < 0:
        return None
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def table(text, heading):
    """The first Markdown table under `## heading`: header cells and rows of cells."""
    lines = [line for line in (section(text, heading) or "").splitlines() if line.startswith("|")]
    if len(lines) < 2:
        fail(f"no table under ## {heading}")
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return cells[0], cells[2:]


def unquote(cell):
    return cell[1:-1] if cell.startswith("`") and cell.endswith("`") else cell


def yaml_feature(feature):
    """A feature of the YAML dataset_info as `datasets` types it."""
    if "dtype" in feature:
        return Value(feature["dtype"])
    if "sequence" in feature:
        return List(Value(feature["sequence"]))
    return List({item["name"]: yaml_feature(item) for item in feature["list"]})


def prose_features(line):
    """Features of a flat config from its "Fields per config" line: `name` (dtype) or (list of dtype)."""
    if "{" in line:
        fail(f"nested features in a config loaded by files: {line}")
    features = {}
    for name, is_list, dtype in re.findall(r"`([^`]+)` \((list of )?(\w+)\)", line):
        features[name] = List(Value(dtype)) if is_list else Value(dtype)
    return Features(features)


def read_card(folder):
    text = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
    if not text.startswith("---\n"):
        fail("README.md has no YAML front matter")
    front = yaml.safe_load(text[4 : text.index("\n---\n")])
    configs = {}
    for row in table(text, "Configurations")[1]:
        by_files = row[0].endswith(" (by files)")
        name = row[0][: -len(" (by files)")] if by_files else unquote(row[0])
        configs[name] = {"folder": unquote(row[1]).rstrip("/"), "by_files": by_files}
    header, rows = table(text, "Splits")
    for row in rows:
        counts = {split: int(cell.replace(",", "")) for split, cell in zip(header[1:-1], row[1:-1]) if cell != "–"}
        configs[unquote(row[0])]["counts"] = counts
    for line in (section(text, "Configurations") or "").splitlines():
        match = re.match(r"- `([^`]+)`: (.*)$", line)
        if match and match.group(1) in configs:
            configs[match.group(1)]["prose"] = match.group(2)
    for info in front.get("dataset_info", []):
        config = configs[info["config_name"]]
        config["features"] = Features({feature["name"]: yaml_feature(feature) for feature in info["features"]})
        config["num_examples"] = {split["name"]: split["num_examples"] for split in info["splits"]}
    for name, config in configs.items():
        if config["by_files"]:
            config["features"] = prose_features(config["prose"])
    default = next((c["config_name"] for c in front.get("configs", []) if c.get("default") or c["config_name"] == "default"), None)
    loading = section(text, "Loading")
    match = re.search(r"```python\n(.*?)```", loading or "", re.S)
    if not match:
        fail("no python block under ## Loading")
    return configs, default, match.group(1)


def literal(node):
    return ast.literal_eval(node)


def target_config(call, configs, default, load_path):
    """The config a `load_dataset(...)` call of the card loads."""
    path = literal(call.args[0])
    if path in BUILDERS:
        data_files = next(literal(k.value) for k in call.keywords if k.arg == "data_files")
        folders = set()
        for split, pattern in data_files.items():
            if not pattern.startswith(load_path + "/") or not pattern.endswith(f"/{split}-*"):
                fail(f"data_files {split}: {pattern} is not {load_path}/FOLDER/{split}-*")
            folders.add(pattern[len(load_path) + 1 : -len(f"/{split}-*")])
        found = [name for name, config in configs.items() if config["by_files"] and config["folder"] in folders]
        if len(folders) != 1 or len(found) != 1:
            fail(f"load_dataset({path!r}, data_files=…) names folders {sorted(folders)}, not one config's")
        return found[0]
    if path != load_path:
        fail(f"load_dataset({path!r}) in a card of {load_path!r}")
    name = literal(call.args[1]) if len(call.args) > 1 else default
    if name not in configs or configs[name]["by_files"]:
        fail(f"load_dataset({path!r}, {name!r}): no such declared config")
    return name


def check_loaded(name, config, ds):
    counts = config["counts"]
    if sorted(ds.keys()) != sorted(counts):
        fail(f"{name}: splits {sorted(ds.keys())}, the card says {sorted(counts)}")
    for split, count in counts.items():
        rows = ds[split].num_rows
        if rows != count or config.get("num_examples", counts).get(split) != count:
            fail(f"{name} {split}: {rows} rows, the card says {count} (YAML {config.get('num_examples')})")
        if ds[split].features != config["features"]:
            fail(f"{name} {split}: features {ds[split].features}, declared {config['features']}")
        print(f"{name} {split}: {rows} rows, features as declared")


def rows_of(dataset):
    return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in dataset)


def check_llama_factory(folder, configs, loaded):
    path = os.path.join(folder, "dataset_info.json")
    if not os.path.exists(path):
        return 0
    info = json.load(open(path, encoding="utf-8"))
    pairs = [(name, split) for name, config in configs.items() if not config["by_files"] for split in config["counts"]]
    for key, entry in info.items():
        matches = [(name, split) for name, split in pairs if key.endswith(f"_{name}_{split}")]
        # The longest config name: `…_tier_high_alpaca_train` also ends in `_alpaca_train`.
        matches.sort(key=lambda pair: -len(pair[0]))
        if not matches or (len(matches) > 1 and len(matches[0][0]) == len(matches[1][0])):
            fail(f"LLaMA-Factory {key}: names no config and split of the card")
        name, split = matches[0]
        split_arg = entry.get("split", "train")
        if "hf_hub_url" in entry:
            fail(f"LLaMA-Factory {key}: a Hub entry, not checked on a local folder")
        if "script_url" in entry:
            got = datasets.load_dataset(os.path.join(folder, entry["script_url"]), name=entry.get("subset"), split=split_arg)
            how = f"script_url {entry['script_url']!r}, subset {entry.get('subset')}, split {split_arg}"
        else:
            local = os.path.join(folder, entry["file_name"])
            files = sorted(os.path.join(local, f) for f in os.listdir(local)) if os.path.isdir(local) else [local]
            types = {FILEEXT2TYPE.get(os.path.splitext(f)[1][1:]) for f in files}
            if len(types) != 1 or None in types:
                fail(f"LLaMA-Factory {key}: file types {sorted(map(str, types))} of {entry['file_name']}")
            got = datasets.load_dataset(types.pop(), data_files=files, split=split_arg)
            how = f"file_name {entry['file_name']}"
        expected = loaded[name][split]
        if rows_of(got) != rows_of(expected):
            fail(f"LLaMA-Factory {key} ({how}): {got.num_rows} rows, not the {expected.num_rows} of {name} {split}")
        columns = list(entry.get("columns", {}).values())
        missing = [column for column in columns if column not in got.column_names]
        if missing:
            fail(f"LLaMA-Factory {key}: columns {missing} not in {got.column_names}")
        print(f"LLaMA-Factory {key}: {got.num_rows} rows of {name} {split} ({how})")
    return len(info)


def check_export(folder):
    configs, default, code = read_card(folder)
    print(f"default config: {default}")
    tree = ast.parse(code)
    calls = [node.value for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)]
    first = next(call for call in calls if getattr(call.func, "id", None) == "load_dataset")
    load_path = literal(first.args[0])
    # A folder named like a packaged builder (csv, json, …) is written ./NAME: the same folder.
    named = load_path[2:] if load_path.startswith("./") else load_path
    # The card's paths are relative to the folder its load path is named from (OUT, or OUT's parent for a version).
    if os.path.isabs(named) or named.startswith("hf://") or not folder.endswith(os.sep + named.replace("/", os.sep)):
        fail(f"the card loads {load_path!r}, not this folder")
    os.chdir(folder[: -len(named)])
    namespace = {}
    loaded = {}
    for statement in tree.body:
        exec(compile(ast.Module(body=[statement], type_ignores=[]), "<card Loading>", "exec"), namespace)
        value = getattr(statement, "value", None)
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "load_dataset":
            name = target_config(value, configs, default, load_path)
            if name in loaded:
                fail(f"config {name} loaded twice")
            loaded[name] = namespace[statement.targets[0].id]
            check_loaded(name, configs[name], loaded[name])
    missing = sorted(set(configs) - set(loaded))
    if missing:
        fail(f"configs the card lists but no snippet loads: {missing}")
    entries = check_llama_factory(folder, configs, loaded)
    splits = sum(len(config["counts"]) for config in configs.values())
    print(f"ok: {len(configs)} configs, {splits} splits, {entries} LLaMA-Factory datasets")


def main():
    if len(sys.argv) < 2:
        fail("usage: python test/hf-load.py EXPORT_DIR...")
    for folder in sys.argv[1:]:
        check_export(os.path.abspath(folder))


if __name__ == "__main__":
    main()
