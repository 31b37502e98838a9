"""
trl_train: TRL's DPOTrainer and KTOTrainer train on qa-hf's `--format dpo` and `--format kto`
exports, loaded with HF `datasets` and run as README.md "## Fine-tuning" writes it, with only the
model and tokenizer swapped for a tiny local one (no download, CPU, a few steps).

Install (once; pip's wheel store has CPU torch), then build qa-hf and run from the repo root:

    python3 -m venv /work/venv-trl && /work/venv-trl/bin/pip install trl torch transformers datasets
    npm run build
    /work/venv-trl/bin/python bench/trl_train.py [--work DIR] [--input FILE] [--steps N]

What it does:
  1. input: FILE (qa-internal records), or by default a seeded one written here where questions
     repeat with passed and rejected answers (and copies of passed pairs), so that DPO has rows
     in train and test (bench/generate.js corpora have few questions with both kinds);
  2. exports it with `node dist/cli.js export INPUT --out DIR/<form>/<format> --format <format>
     --split train=0.9,test=0.1 --dedup exact`, the README's command, for the text form and the
     conversational one (`--system-prompt "Du svarar på frågor om vård."`);
  3. builds a tiny model: a 2-layer Qwen2ForCausalLM with random weights and the tokenizer and
     ChatML template of test/fixtures/chat-model (pad token = its eos token), vocab sizes equal,
     saved with save_pretrained in DIR/tiny-model;
  4. per format and form, runs two snippets as they are written, from the export's parent folder
     (they load `load_dataset("dpo", "dpo")`): README.md "## Fine-tuning"'s and the export card's
     "## Training" one. Only the model changes: "Qwen/Qwen2.5-0.5B-Instruct" becomes the tiny
     model's folder; while a snippet runs, trl's DPOConfig/KTOConfig add what keeps it short on a
     CPU (max_steps, batch size 2, report_to=[], no saving, the snippet's own arguments kept) and
     the trainer is recorded, then evaluated when the snippet gives it an eval_dataset.

What it checks (the first failure ends it, exit 1):
  - the export succeeds and its card declares `train` rows (with the default input, `test` rows
    too; with a corpus where few questions have both kinds DPO may have `train` only, and the
    snippets must still run);
  - the loaded features: text form `prompt`/`chosen`/`rejected`/`completion` strings, the answers
    beginning with a space (TRL joins `prompt + completion` as they are); conversational form
    lists of {role, content} string turns (prompt: system then user; answer: one assistant turn);
    KTO `label` a bool with both values present; no null anywhere; row counts as the card says;
  - TRL logs no "Mismatch between tokenized prompt and the start of tokenized prompt+…" warning
    (the prompt's tokens a prefix of the joined text's, for the text and the chat-template form);
  - the snippet runs; training takes the steps asked, with finite losses, and evaluation gives a
    finite eval loss. Other TRL warnings (KTO's desirable/undesirable balance) are printed.

Prints one line per run and "ok: …" at the end. Not part of jest: torch is too heavy for CI.
"""
import argparse
import atexit
import json
import logging
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# A fresh datasets cache: a stale cache of an earlier export in the same path would hide a change.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="qa-hf-trl-cache-")
atexit.register(shutil.rmtree, os.environ["HF_DATASETS_CACHE"], ignore_errors=True)

import datasets  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from datasets import List, Value, load_dataset  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer  # noqa: E402

datasets.disable_progress_bars()
transformers.logging.set_verbosity_error()

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "test", "fixtures", "chat-model")
SYSTEM_PROMPT = "Du svarar på frågor om vård."  # README.md "## Fine-tuning"
SPLIT = "train=0.9,test=0.1"
FORMS = {"text": [], "chat": ["--system-prompt", SYSTEM_PROMPT]}
TRAINERS = {"dpo": (DPOTrainer, DPOConfig), "kto": (KTOTrainer, KTOConfig)}
STRING = Value("string")
TURNS = List({"role": STRING, "content": STRING})


def fail(message):
    print(f"FAIL: {message}")  # the working folder is kept for a look
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def preference_input(path, seed=5, questions=60):
    """qa-internal records: each question with passed and rejected answers (scores vary), some passed pairs twice."""
    rng = random.Random(seed)
    topics = ["blodtrycket", "smärtskattningen", "vätskebalansen", "saturationen", "nutritionsstatus", "trycksårsrisken"]
    roles = ["sjuksköterska", "undersköterska", "ST-läkare", "fysioterapeut"]
    lines = []
    for q in range(questions):
        topic = topics[q % len(topics)]
        question = f"Hur ofta ska {topic} kontrolleras hos patient {q} efter operation?"
        kinds = [True, False] + [rng.random() < 0.6 for _ in range(rng.randint(0, 3))]
        for i, passed in enumerate(kinds):
            score = round(rng.uniform(0.7, 0.95) if passed else rng.uniform(0.2, 0.6), 3)
            answer = (
                f"Kontrollera {topic} var {rng.choice([2, 4, 6, 8])}:e timme det första dygnet. Dokumentera i journalen och "
                f"kontakta ansvarig läkare vid avvikelse.\nSvar {i} på fråga {q}."
                if passed
                else f"Det beror på. Fråga någon annan om {topic}."
            )
            validation = {"composite_score": score, "passed": passed}
            if not passed:
                validation["failure_reason"] = "Svaret är vagt"
            record = {
                "id": f"pref-{q:03d}-{i}",
                "question": question,
                "answer": answer,
                "source_document": f"riktlinjer/{topic}.pdf",
                "persona": {"roll": rng.choice(roles), "erfarenhet": "erfaren"},
                "validation": validation,
            }
            lines.append(json.dumps(record, ensure_ascii=False))
            if passed and rng.random() < 0.15:
                lines.append(json.dumps(record, ensure_ascii=False))  # an exact copy: --dedup exact leaves it out
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return len(lines)


def export(cli, source, out, fmt, extra):
    command = ["node", cli, "export", source, "--out", out, "--format", fmt, "--split", SPLIT, "--dedup", "exact", *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    check(done.returncode == 0, f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()}")
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        return json.load(f)["preference"]


def tiny_model(path):
    """A 2-layer Qwen2 with random weights and the fixture's tokenizer, saved as a model folder."""
    # The fixture's tokenizer_config.json writes bos_token as a bare {"content": …} object, which
    # transformers 5 refuses; its fields are taken one by one instead.
    with open(os.path.join(FIXTURE, "tokenizer_config.json"), encoding="utf-8") as f:
        settings = json.load(f)
    special = lambda token: token["content"] if isinstance(token, dict) else token  # noqa: E731
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=os.path.join(FIXTURE, "tokenizer.json"),
        bos_token=special(settings["bos_token"]),
        eos_token=special(settings["eos_token"]),
        pad_token=special(settings["eos_token"]),
        chat_template=settings["chat_template"],
        model_max_length=settings["model_max_length"],
    )
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return len(tokenizer)


def check_rows(name, ds, fmt, form, card_counts):
    answers = ["chosen", "rejected"] if fmt == "dpo" else ["completion"]
    want = {"prompt": TURNS if form == "chat" else STRING, **{a: TURNS if form == "chat" else STRING for a in answers}}
    if fmt == "kto":
        want["label"] = Value("bool")
    for split, rows in ds.items():
        check(dict(rows.features) == want, f"{name} {split}: features {rows.features}, expected {want}")
        check(rows.num_rows == card_counts.get(split), f"{name} {split}: {rows.num_rows} rows, the card says {card_counts.get(split)}")
        for row in rows:
            check(all(value is not None for value in row.values()), f"{name} {split}: a null in {row}")
            if form == "text":
                check(all(row[a].startswith(" ") and not row[a].startswith("  ") for a in answers), f"{name} {split}: an answer without its one leading space: {row}")
            else:
                check([t["role"] for t in row["prompt"]] == ["system", "user"] and row["prompt"][0]["content"] == SYSTEM_PROMPT, f"{name} {split}: prompt turns {row['prompt']}")
                check(all([t["role"] for t in row[a]] == ["assistant"] for a in answers), f"{name} {split}: answer turns {row}")
        if fmt == "kto":
            labels = set(rows["label"])
            check(split != "train" or labels == {True, False}, f"{name} {split}: labels {labels}, expected both")


def card_counts(folder, config):
    """num_examples per split of `config` from the card's YAML header."""
    import yaml

    with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
        header = f.read().split("---\n")[1]
    for info in yaml.safe_load(header)["dataset_info"]:
        if info["config_name"] == config:
            return {split["name"]: split["num_examples"] for split in info["splits"]}
    fail(f"{folder}: no dataset_info for config {config}")


class Mismatches(logging.Handler):
    """TRL's tokenization warnings (the prompt's tokens not a prefix of prompt + answer)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []
        self.others = []

    def emit(self, record):
        message = record.getMessage()
        (self.messages if "Mismatch between tokenized prompt" in message else self.others).append(message)


SNIPPET_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"  # the model README.md and the card name


def python_blocks(markdown, heading, trainer):
    """The ```python blocks under `heading` (to the next heading of its level) that use `trainer`."""
    level = heading.split(" ")[0] + " "
    lines = markdown.split("\n")
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith(level)), len(lines))
    blocks, block = [], None
    for line in lines[start:end]:
        if line == "```python":
            block = []
        elif line == "```" and block is not None:
            blocks.append("\n".join(block))
            block = None
        elif block is not None:
            block.append(line)
    found = [b for b in blocks if f"{trainer}(" in b]
    check(len(found) == 1, f"{heading}: {len(found)} python blocks with {trainer}")
    return found[0]


def run_snippet(name, code, cwd, fmt, model_path, steps, mismatches):
    """Runs `code` in `cwd` with the model swapped for the tiny one; the trainer's config class
    gets the short-run settings and the trainer is recorded (trl's names patched while it runs)."""
    trainer_class, config_class = TRAINERS[fmt]
    check(SNIPPET_MODEL in code, f"{name}: the snippet names no {SNIPPET_MODEL}")
    code = code.replace(SNIPPET_MODEL, model_path)
    trainers = []

    class Recorded(trainer_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            trainers.append(self)

    def short_config(**kwargs):
        # Only what keeps it short on a CPU; the snippet's own arguments are kept.
        return config_class(**{**dict(max_steps=steps, per_device_train_batch_size=2, per_device_eval_batch_size=2, logging_steps=1,
                                      report_to=[], save_strategy="no", use_cpu=True, seed=0), **kwargs})

    patched = {trainer_class.__name__: Recorded, config_class.__name__: short_config}
    saved = {key: getattr(trl, key) for key in patched}
    here = os.getcwd()
    mismatches.messages.clear()
    mismatches.others.clear()
    try:
        for key, value in patched.items():
            setattr(trl, key, value)
        os.chdir(cwd)
        try:
            exec(compile(code, name, "exec"), {"__name__": "__snippet__"})
        except Exception as error:  # noqa: BLE001 - the snippet's failure is the finding
            fail(f"{name}: {type(error).__name__}: {error}")
    finally:
        os.chdir(here)
        for key, value in saved.items():
            setattr(trl, key, value)
    check(len(trainers) == 1, f"{name}: {len(trainers)} trainers made")
    trainer = trainers[0]
    check(not mismatches.messages, f"{name}: TRL warned: {mismatches.messages[0] if mismatches.messages else ''}")
    check(trainer.state.global_step == steps, f"{name}: {trainer.state.global_step} steps, expected {steps}")
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    check(len(losses) == steps and all(math.isfinite(loss) for loss in losses), f"{name}: losses {losses}")
    result = f"loss {losses[-1]:.4f}"
    if trainer.eval_dataset is not None:
        evaluation = trainer.evaluate()
        check(math.isfinite(evaluation["eval_loss"]), f"{name}: eval loss {evaluation['eval_loss']}")
        result += f", eval loss {evaluation['eval_loss']:.4f}"
    for message in dict.fromkeys(mismatches.others):
        print(f"  TRL warned: {message}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=os.path.join(REPO, "dist", "cli.js"))
    parser.add_argument("--work", help="working folder (default: a temporary one, removed at the end)")
    parser.add_argument("--input", help="qa-internal JSONL to export (default: a seeded preference input)")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--formats", default="dpo,kto")
    parser.add_argument("--forms", default="text,chat")
    options = parser.parse_args()
    work = options.work or tempfile.mkdtemp(prefix="qa-hf-trl-")
    os.makedirs(work, exist_ok=True)
    print(f"trl {trl.__version__}, transformers {transformers.__version__}, datasets {datasets.__version__}, torch {torch.__version__}")

    source = options.input
    if source is None:
        source = os.path.join(work, "preference.jsonl")
        print(f"input: {preference_input(source)} records → {source}")
    model_path = os.path.join(work, "tiny-model")
    print(f"model: Qwen2ForCausalLM, 2 layers, vocab {tiny_model(model_path)} → {model_path}")

    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    mismatches = Mismatches()
    logging.getLogger("trl").addHandler(mismatches)
    for fmt in options.formats.split(","):
        for form in options.forms.split(","):
            folder = os.path.join(work, form, fmt)
            shutil.rmtree(folder, ignore_errors=True)
            preference = export(options.cli, source, folder, fmt, FORMS[form])
            counts = card_counts(folder, fmt)
            check(counts.get("train", 0) > 0, f"{folder}: no train rows: {counts} (report.json preference: {preference})")
            check_rows(folder, load_dataset(folder, fmt), fmt, form, counts)
            trainer = TRAINERS[fmt][0].__name__
            with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
                card = python_blocks(f.read(), "## Training", trainer)
            # The snippets load `load_dataset("dpo", "dpo")`: the folder by its name, from its parent.
            for name, code in (("README.md", readme), ("the card", card)):
                code = python_blocks(code, "## Fine-tuning", trainer) if name == "README.md" else code
                result = run_snippet(f"{fmt} {form} ({name})", code, os.path.dirname(folder), fmt, model_path, options.steps, mismatches)
                print(f"{fmt} {form}, {name}'s snippet: rows {counts}, {options.steps} steps, {result}")
    if options.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ok: {options.formats} × {options.forms} trained with trl {trl.__version__}")


if __name__ == "__main__":
    main()
