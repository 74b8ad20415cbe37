"""Check, with plain Keras and no keras-inspector, that every faulty program really fails to learn
and its fix really learns (and that each healthy program learns): train each on the first 80% of
its data with its own compile settings, score its predictions on the last 20% against the true
labels (the fixed program's targets), and write benchmarks/results/diagnose_programs.{json,md}.

    .venv/bin/python benchmarks/diagnose/verify.py                  # every program
    .venv/bin/python benchmarks/diagnose/verify.py cancer_nan ...   # some (merged into the record)
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
EPOCHS, APPLICATION_EPOCHS = 30, 5
LEARNS = 0.15  # a fix must beat chance by this much; a fault must lose at least this much to its fix


def labels() -> dict:
    return json.loads((HERE / "labels.json").read_text())


def program(name: str):
    sys.path.insert(0, str(HERE.parent))
    return importlib.import_module(f"diagnose.{name}")


def _rows(a, index):
    if isinstance(a, dict):
        return {k: v[index] for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return [v[index] for v in a]
    return a[index]


def _length(a) -> int:
    return len(next(iter(a.values()))) if isinstance(a, dict) else len(a[0] if isinstance(a, list) else a)


def score(task: str, predicted: np.ndarray, truth: np.ndarray) -> float:
    """The task's figure: accuracy (multiclass, binary), exact-match rate (multilabel), R^2."""
    predicted, truth = np.asarray(predicted, "float64"), np.asarray(truth, "float64")
    if not np.all(np.isfinite(predicted)):
        return float("nan")
    if task == "regression":
        values = predicted.argmax(-1) if predicted.ndim == 2 and predicted.shape[-1] > 1 else predicted.reshape(-1)
        truth = truth.reshape(-1)
        return 1.0 - float(((values - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum())
    if task == "multilabel":
        return float(((predicted > 0.5) == (truth > 0.5)).all(-1).mean())
    if truth.ndim == 2 and truth.shape[-1] > 1:
        truth = truth.argmax(-1)
    truth = truth.reshape(-1)
    if predicted.ndim == 2 and predicted.shape[-1] > 1:
        guess = predicted.argmax(-1)
    else:
        guess = (predicted.reshape(-1) > (0.0 if task == "binary-logits" else 0.5)).astype(int)
    return float((guess == truth).mean())


def chance(task: str, truth) -> float:
    """What always answering the commonest label (or the mean, for regression) scores."""
    truth = np.asarray(truth)
    if task == "regression":
        return 0.0
    if task == "multilabel":
        _, counts = np.unique(truth > 0.5, axis=0, return_counts=True)
        return float(counts.max() / len(truth))
    labels_ = truth.argmax(-1) if truth.ndim == 2 and truth.shape[-1] > 1 else truth.reshape(-1)
    return float(np.bincount(labels_.astype(int)).max() / len(labels_))


def train_and_score(module, build: str, data: str, truth_fn: str, task, epochs: int) -> dict:
    """Train `module.build()` on `module.data()`'s first 80%; score on the rest against the targets
    of `module.truth_fn()` (the fixed data: the true labels)."""
    import keras

    keras.utils.set_random_seed(0)
    x, y = getattr(module, data)()
    _, truth = getattr(module, truth_fn)()
    cut = int(0.8 * _length(x))
    started = time.perf_counter()
    record: dict = {}
    try:
        model = getattr(module, build)()
        model.fit(_rows(x, slice(0, cut)), _rows(y, slice(0, cut)), epochs=epochs, batch_size=32,
                  verbose=0)
        predicted = model.predict(_rows(x, slice(cut, None)), verbose=0)
    except Exception as exc:  # noqa: BLE001 - a fault that stops training is the measurement
        record["raised"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}"
        record["score"] = float("nan")
    else:
        tasks = task if isinstance(task, dict) else {None: task}
        scores = {}
        for output, kind in tasks.items():
            p = predicted[output] if output is not None else predicted
            t = truth[output] if output is not None else truth
            if kind == "binary" and build.startswith("build") and module.__name__.endswith("logits"):
                kind = "binary-logits"
            scores[output] = score(kind, p, _rows(t, slice(cut, None)))
        record["score"] = round(min(scores.values()), 4)
    record["seconds"] = round(time.perf_counter() - started, 1)
    keras.backend.clear_session()
    return record


def chance_of(module, truth_fn: str, task) -> float:
    _, truth = getattr(module, truth_fn)()
    cut = int(0.8 * _length(truth))
    if isinstance(task, dict):
        return max(chance(k, _rows(truth[o], slice(cut, None))) for o, k in task.items())
    return chance(task, _rows(truth, slice(cut, None)))


def _is_application(name: str) -> bool:
    return any(a in name for a in ("mobilenet", "efficientnet", "densenet"))


def main(argv: list[str]) -> int:
    spec = labels()
    rows = []
    wanted = set(argv)
    for name, label in spec["faulty"].items():
        if wanted and name not in wanted:
            continue
        module = program(name)
        faulty = train_and_score(module, "build", "data", "data_fixed", label["task"], EPOCHS)
        fixed = train_and_score(module, "build_fixed", "data_fixed", "data_fixed", label["task"], EPOCHS)
        base = chance_of(module, "data_fixed", label["task"])
        rows.append({"program": name, "kind": "faulty", "category": label["category"],
                     "task": label["task"], "chance": round(base, 4), "faulty": faulty, "fixed": fixed})
        print(f"{name}: faulty {faulty['score']} fixed {fixed['score']} chance {base:.2f} "
              f"{faulty.get('raised', '')}", flush=True)
    for name, label in spec["healthy"].items():
        if wanted and name not in wanted:
            continue
        module = program(name)
        epochs = APPLICATION_EPOCHS if _is_application(name) else EPOCHS
        result = train_and_score(module, "build", "data", "data", label["task"], epochs)
        base = chance_of(module, "data", label["task"])
        rows.append({"program": name, "kind": "healthy", "task": label["task"], "chance": round(base, 4),
                     "healthy": result, "epochs": epochs})
        print(f"{name}: {result['score']} chance {base:.2f} {result.get('raised', '')}", flush=True)
    write(merged(rows, spec) if wanted else rows)
    return 0


def merged(new_rows: list[dict], spec: dict) -> list[dict]:
    """The recorded rows with those just measured replaced, in label order, for labelled programs."""
    path = RESULTS / "diagnose_programs.json"
    known = {r["program"]: r for r in json.loads(path.read_text())} if path.exists() else {}
    known.update({r["program"]: r for r in new_rows})
    order = list(spec["faulty"]) + list(spec["healthy"])
    return [known[name] for name in order if name in known]


def learns(score: float, chance_: float, task) -> bool:
    """Beats chance by LEARNS, or (when chance is near 1) removes half the errors chance makes;
    a regression learns at R^2 >= 0.3."""
    if task == "regression":
        return bool(score >= 0.3)
    return bool(score >= chance_ + min(LEARNS, 0.5 * (1 - chance_)))


def harms(faulty: float, fixed: float, chance_: float) -> bool:
    """The fault stops training, or loses LEARNS (or half of what the fix gains) to its fix."""
    return bool(np.isnan(faulty) or fixed - faulty >= min(LEARNS, 0.5 * (fixed - chance_)))


def write(rows: list[dict]) -> None:
    for r in rows:
        if r["kind"] == "faulty":
            r["fault_harms"] = harms(r["faulty"]["score"], r["fixed"]["score"], r["chance"])
            r["fixed_learns"] = learns(r["fixed"]["score"], r["chance"], r["task"])
        else:
            r["learns"] = learns(r["healthy"]["score"], r["chance"], r["task"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "diagnose_programs.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Diagnose benchmark programs, checked with plain Keras", "",
             (f"Each program trained {EPOCHS} epochs ({APPLICATION_EPOCHS} for keras.applications "
              "models), batch 32, seed 0, on the first 80% of its data with its own compile "
              "settings; scored on the last 20% against the true labels: accuracy (classification), "
              "exact-match rate (multi-label) or R^2 (regression). `chance` is what always answering "
              "the commonest label scores. A fix learns when it beats chance by 0.15 (or removes half "
              "the errors chance makes, where chance is near 1; R^2 >= 0.3 for a regression); a "
              "fault harms when training stops or it loses 0.15 (or half the fix's gain) to its "
              "fix. Written by `benchmarks/diagnose/verify.py`."), "",
             "| program | category | chance | faulty | fixed | fault harms | fix learns |",
             "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        if r["kind"] != "faulty":
            continue
        shown = "raised " + r["faulty"]["raised"].split(":")[0] if "raised" in r["faulty"] else f"{r['faulty']['score']:.3f}"
        lines.append(f"| {r['program']} | {r['category']} | {r['chance']:.3f} | {shown} | "
                     f"{r['fixed']['score']:.3f} | {'yes' if r['fault_harms'] else 'NO'} | "
                     f"{'yes' if r['fixed_learns'] else 'NO'} |")
    lines += ["", "| healthy program | epochs | chance | score | learns |", "| --- | ---: | ---: | ---: | --- |"]
    note = ("The keras.applications models are trained from scratch (weights=None) for 5 epochs on "
            "320 generated 32x32 images: too little for them to learn this task, so their row "
            "shows only that they train (a finite score); for the benchmark what matters is that "
            "`inspect diagnose` reports nothing on them.")
    for r in rows:
        if r["kind"] == "healthy":
            lines.append(f"| {r['program']} | {r['epochs']} | {r['chance']:.3f} | {r['healthy']['score']:.3f} | "
                         f"{'yes' if r['learns'] else 'NO'} |")
    (RESULTS / "diagnose_programs.md").write_text("\n".join(lines + ["", note]) + "\n")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
