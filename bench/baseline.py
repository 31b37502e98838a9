"""Python stdlib reference: the same mapping as bench/baseline.ts with json.loads/json.dumps.

The issue's yardstick ("2x Python's stdlib loop"); run by `npm run bench` when python3 exists.
"""
import json
import sys

out = sys.stdout
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if not r["validation"]["passed"]:
            continue
        out.write(json.dumps({
            "question": r["question"],
            "answer": r["answer"],
            "source": r.get("source_document", ""),
            "persona": r["persona"]["roll"] + "/" + r["persona"]["erfarenhet"],
            "validation_score": float(r["validation"]["composite_score"]),
        }, ensure_ascii=False, separators=(",", ":")) + "\n")
