"""HF `datasets` doing qa-hf's Hub `jsonl,parquet` job, the way a Python user would write it.

    python bench/hf_datasets.py INPUT OUTDIR [NUM_PROC]

load_dataset("json") with the input's features (no type inference) → filter(passed) → map to the
flat row of qa-hf's default preset → a train/test split by a hash of the question (90/10, as
`--split train=0.9,test=0.1`; the same proportions, not the same rows) → to_json and to_parquet
per split. The same job as bench/duckdb.ts `hub-jsonl-parquet`. `npm run bench` runs it with
BENCH_PYTHON (default python3) when that interpreter can import `datasets`, and says so when it
cannot. Its cache goes to a folder inside OUTDIR's parent, removed at the end, so every run starts cold
as qa-hf does.
"""
import hashlib
import os
import shutil
import sys
import tempfile

import datasets
from datasets import Features, Value, load_dataset

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

FEATURES = Features({
    "id": Value("string"),
    "question": Value("string"),
    "answer": Value("string"),
    "source_document": Value("string"),
    "persona": {"roll": Value("string"), "erfarenhet": Value("string")},
    "validation": {"composite_score": Value("float64"), "passed": Value("bool"), "failure_reason": Value("string")},
    "generated_at": Value("string"),
    "model": Value("string"),
})


def flat(record):
    persona = record["persona"] or {}
    return {
        "question": record["question"],
        "answer": record["answer"],
        "source": record["source_document"] or "",
        "persona": f"{persona.get('roll')}/{persona.get('erfarenhet')}",
        "validation_score": record["validation"]["composite_score"],
    }


def bucket(record):
    return int.from_bytes(hashlib.md5(record["question"].encode("utf-8")).digest()[:4], "little") % 100


def main():
    source, out = sys.argv[1], sys.argv[2]
    num_proc = int(sys.argv[3]) if len(sys.argv) > 3 else None
    cache = tempfile.mkdtemp(prefix="hf-cache-", dir=os.path.dirname(os.path.abspath(out)))
    try:
        rows = load_dataset("json", data_files=source, features=FEATURES, split="train", cache_dir=cache, num_proc=num_proc)
        rows = rows.filter(lambda record: record["validation"]["passed"], num_proc=num_proc)
        rows = rows.map(flat, remove_columns=list(FEATURES), num_proc=num_proc)
        rows = rows.map(lambda record: {"bucket": bucket(record)}, num_proc=num_proc)
        splits = {
            "train": rows.filter(lambda record: record["bucket"] < 90, num_proc=num_proc),
            "test": rows.filter(lambda record: record["bucket"] >= 90, num_proc=num_proc),
        }
        for name, split in splits.items():
            split = split.remove_columns("bucket")
            for fmt in ("jsonl", "parquet"):
                os.makedirs(os.path.join(out, fmt), exist_ok=True)
            split.to_json(os.path.join(out, "jsonl", f"{name}.jsonl"), force_ascii=False, num_proc=num_proc)
            split.to_parquet(os.path.join(out, "parquet", f"{name}.parquet"))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
