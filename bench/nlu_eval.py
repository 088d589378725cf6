"""NLU quality and speed on a held-out split of our own training data.

    .venv/bin/python bench/nlu_eval.py                      # config.yml
    .venv/bin/python bench/nlu_eval.py --config bench/default_config.yml
    .venv/bin/python bench/nlu_eval.py --folds 5            # stratified 5-fold CV instead

Splits data/nlu stratified by intent (80/20, fixed seed; regexes and synonyms stay in the
training part), trains an NLU model on the 80% with the given config, parses the 20% and the
hand-written unseen messages in tests/nlu/holdout.yml, and prints intent macro-F1 and accuracy,
entity precision/recall/F1 (exact value and span, overall and per entity), the fallback rate,
training time and parse latency. It also prints the confusion pairs (gold -> predicted, count)
and the misclassified messages. With --folds K it runs stratified K-fold cross-validation on
data/nlu instead (every example is tested once; the unseen messages are scored by every fold's
model) and prints macro-F1 mean +- sd over the folds. Training logs and progress bars go to a log
file, not stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
# No training cache: every run trains from scratch, so the training time is comparable.
os.environ["RASA_MAX_CACHE_SIZE"] = "0"
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = "nlu_fallback"


def _entities(message) -> set[tuple[str, str, int, int]]:
    return {(e["entity"], str(e["value"]).strip(), e["start"], e["end"])
            for e in message.get("entities") or []}


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _per_intent_f1(gold: list[str], pred: list[str]) -> dict[str, float]:
    scores = {}
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores[label] = _f1(tp, fp, fn)[2]
    return scores


def _macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = _per_intent_f1(gold, pred)
    return sum(scores.values()) / len(scores)


async def _parse_all(agent, examples):
    results, latencies = [], []
    for example in examples:
        start = time.perf_counter()
        parsed = await agent.parse_message(example.get("text"))
        latencies.append((time.perf_counter() - start) * 1000)
        results.append(parsed)
    return results, latencies


def _score(name: str, examples, parsed, out) -> dict:
    gold = [e.get("intent") for e in examples]
    # What the bot acts on (nlu_fallback when unsure) and what the classifier ranked first.
    final = [p["intent"]["name"] for p in parsed]
    raw = [next((r["name"] for r in p.get("intent_ranking", []) if r["name"] != FALLBACK),
                p["intent"]["name"]) for p in parsed]
    n = len(gold)
    fallback = sum(f == FALLBACK for f in final)
    # A fallback on out-of-scope text is the right outcome, not an error.
    final_ok = [f if not (f == FALLBACK and g == "out_of_scope") else g
                for f, g in zip(final, gold, strict=True)]
    res = {
        "n": n,
        "macro_f1_raw": _macro_f1(gold, raw),
        "acc_raw": sum(g == r for g, r in zip(gold, raw, strict=True)) / n,
        "macro_f1": _macro_f1(gold, final_ok),
        "acc": sum(g == f for g, f in zip(gold, final_ok, strict=True)) / n,
        "fallback_rate": fallback / n,
    }
    counts = defaultdict(Counter)
    for example, p in zip(examples, parsed, strict=True):
        g, q = _entities(example.data), _entities(p)
        g = {(e, v, s, t) for e, v, s, t in g}
        for ent in {x[0] for x in g | q}:
            gs = {x for x in g if x[0] == ent}
            qs = {x for x in q if x[0] == ent}
            counts[ent]["tp"] += len(gs & qs)
            counts[ent]["fp"] += len(qs - gs)
            counts[ent]["fn"] += len(gs - qs)
    total = Counter()
    for c in counts.values():
        total.update(c)
    res["entity"] = _f1(total["tp"], total["fp"], total["fn"])
    res["entity_per"] = {e: (_f1(c["tp"], c["fp"], c["fn"]), c["tp"] + c["fn"])
                         for e, c in sorted(counts.items())}
    errors = [(e.get("text"), g, r, f, p["intent"].get("confidence", 0.0))
              for e, g, r, f, p in zip(examples, gold, raw, final, parsed, strict=True)
              if g != r or (f == FALLBACK and g != "out_of_scope")]
    print(f"\n== {name}: {n} messages", file=out)
    print(f"intent macro-F1 {res['macro_f1_raw']:.3f}  accuracy {res['acc_raw']:.3f}"
          f"  (classifier's top intent)", file=out)
    print(f"intent macro-F1 {res['macro_f1']:.3f}  accuracy {res['acc']:.3f}"
          f"  (after FallbackClassifier; fallback rate {res['fallback_rate']:.1%},"
          f" fallback on out_of_scope counted correct)", file=out)
    p_, r_, f_ = res["entity"]
    print(f"entity P {p_:.3f} R {r_:.3f} F1 {f_:.3f}", file=out)
    for ent, ((p_, r_, f_), support) in res["entity_per"].items():
        print(f"  {ent:16s} P {p_:.3f} R {r_:.3f} F1 {f_:.3f}  (gold {support})", file=out)
    _print_confusions(gold, raw, out)
    if errors:
        print("errors (text | gold | classifier | final | confidence):", file=out)
        for text, g, r, f, c in errors:
            print(f"  {text!r} | {g} | {r} | {f} | {c:.2f}", file=out)
    return res


def _print_confusions(gold: list[str], pred: list[str], out, top: int = 25) -> None:
    per_intent = sorted(_per_intent_f1(gold, pred).items(), key=lambda item: item[1])
    print("intent F1, weakest first: " + ", ".join(
        f"{label} {f1:.2f}" for label, f1 in per_intent), file=out)
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    if not pairs:
        return
    print("confusion pairs (gold -> classifier's top intent, count):", file=out)
    for (g, p), count in pairs.most_common(top):
        print(f"  {g:22s} -> {p:22s} {count}", file=out)


def _stratified_folds(examples, k: int, seed: int) -> list[list]:
    """Per intent, shuffle (fixed seed) and deal the examples round-robin into k folds."""
    import random

    by_intent = defaultdict(list)
    for example in examples:
        by_intent[example.get("intent")].append(example)
    rng = random.Random(seed)
    folds: list[list] = [[] for _ in range(k)]
    offset = 0
    for intent in sorted(by_intent):
        group = by_intent[intent]
        rng.shuffle(group)
        for i, example in enumerate(group):
            folds[(i + offset) % k].append(example)
        offset += len(group)  # so that the small remainders do not all land in fold 0
    return folds


def _train_and_load(config: str, train, work: Path, log_path: Path):
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    work.mkdir(parents=True, exist_ok=True)
    train_path = work / "train.yml"
    RasaYAMLWriter().dump(train_path, train)
    with open(log_path, "a") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        logging.getLogger().setLevel(logging.WARNING)
        start = time.perf_counter()
        model = train_nlu(config, str(train_path), str(work / "models"),
                          fixed_model_name="nlu-eval")
        train_seconds = time.perf_counter() - start
        agent = Agent.load(model) if model else None
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # no per-message debug lines while timing parses
    return agent, train_seconds


def _cross_validate(args, data) -> int:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    work = Path(tempfile.mkdtemp(prefix="wismo-nlu-cv-"))
    log_path = Path(args.log) if args.log else work / "train.log"
    folds = _stratified_folds(data.intent_examples, args.folds, args.seed)
    others = [e for e in data.training_examples if not e.get("intent")]
    holdout = None
    if args.holdout and Path(args.holdout).exists():
        holdout = load_data(args.holdout)
    print(f"config {args.config}; {len(data.intent_examples)} examples, stratified "
          f"{args.folds}-fold cross-validation (seed {args.seed}); training log {log_path}")
    scores = defaultdict(list)
    gold_all, raw_all, errors_all = [], [], []
    times, latencies = [], []
    for i, test in enumerate(folds):
        test_ids = {id(e) for e in test}
        train = TrainingData(
            training_examples=[e for e in data.intent_examples if id(e) not in test_ids] + others,
            entity_synonyms=data.entity_synonyms, regex_features=data.regex_features,
            lookup_tables=data.lookup_tables)
        agent, seconds = _train_and_load(args.config, train, work / f"fold{i}", log_path)
        if agent is None:
            print("training failed")
            return 1
        times.append(seconds)

        async def run(examples, agent=agent):
            await agent.parse_message("warm up the graph")
            return await _parse_all(agent, examples)

        parsed, lat = asyncio.run(run(test))
        latencies += lat
        sink = io.StringIO()
        res = _score(f"fold {i}", test, parsed, sink)
        gold = [e.get("intent") for e in test]
        raw = [next((r["name"] for r in p.get("intent_ranking", []) if r["name"] != FALLBACK),
                    p["intent"]["name"]) for p in parsed]
        gold_all += gold
        raw_all += raw
        errors_all += [(e.get("text"), g, r, p["intent"]["name"],
                        p["intent"].get("confidence", 0.0))
                       for e, g, r, p in zip(test, gold, raw, parsed, strict=True) if g != r]
        for key in ("macro_f1_raw", "macro_f1", "acc_raw", "fallback_rate"):
            scores[key].append(res[key])
        scores["entity_f1"].append(res["entity"][2])
        if holdout is not None:
            h_parsed, _ = asyncio.run(_parse_all(agent, holdout.intent_examples))
            h_res = _score("unseen", holdout.intent_examples, h_parsed, io.StringIO())
            scores["unseen_macro_f1_raw"].append(h_res["macro_f1_raw"])
        print(f"fold {i}: {len(test)} test, macro-F1 {res['macro_f1_raw']:.3f}"
              f" (after fallback {res['macro_f1']:.3f}), entity F1 {res['entity'][2]:.3f}"
              + (f", unseen macro-F1 {scores['unseen_macro_f1_raw'][-1]:.3f}"
                 if holdout is not None else "") + f", trained in {seconds:.1f} s")

    out = io.StringIO()
    print(f"\n== all {args.folds} folds pooled: {len(gold_all)} messages, macro-F1 "
          f"{_macro_f1(gold_all, raw_all):.3f}", file=out)
    _print_confusions(gold_all, raw_all, out, top=40)
    print("misclassified (text | gold | classifier | final | confidence):", file=out)
    for text, g, r, f, c in sorted(errors_all, key=lambda x: (x[1], x[2])):
        print(f"  {text!r} | {g} | {r} | {f} | {c:.2f}", file=out)
    print(out.getvalue())

    def ms(values):
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {sd:.3f}"

    latencies.sort()
    print("== summary")
    print(f"config            {args.config}")
    print(f"intent macro-F1   {ms(scores['macro_f1_raw'])} ({args.folds}-fold CV, mean ± sd)")
    print(f"intent accuracy   {ms(scores['acc_raw'])}")
    print(f"after fallback    macro-F1 {ms(scores['macro_f1'])}, fallback rate "
          f"{ms(scores['fallback_rate'])}")
    print(f"entity F1         {ms(scores['entity_f1'])}")
    if holdout is not None:
        print(f"unseen macro-F1   {ms(scores['unseen_macro_f1_raw'])} (each fold's model)")
    print(f"training time     mean {statistics.mean(times):.1f} s per fold")
    print(f"parse latency     mean {statistics.mean(latencies):.1f} ms, p95 "
          f"{latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--data", default="data/nlu")
    parser.add_argument("--holdout", default="tests/nlu/holdout.yml")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--train-frac", type=float, default=0.8)
    parser.add_argument("--log", default=None, help="training log (default: a temp file)")
    parser.add_argument("--folds", type=int, default=0,
                        help="stratified K-fold cross-validation instead of the 80/20 split")
    args = parser.parse_args(argv)
    os.chdir(ROOT)

    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(args.data)
    if args.folds:
        if args.folds < 2:
            parser.error("--folds needs K >= 2")
        return _cross_validate(args, data)
    train, test = data.train_test_split(train_frac=args.train_frac, random_seed=args.seed)
    work = Path(tempfile.mkdtemp(prefix="wismo-nlu-eval-"))
    train_path = work / "train.yml"
    RasaYAMLWriter().dump(train_path, train)
    log_path = Path(args.log) if args.log else work / "train.log"
    print(f"config {args.config}; {len(data.intent_examples)} examples, "
          f"{len(train.intent_examples)} train / {len(test.intent_examples)} test "
          f"(seed {args.seed}); training log {log_path}")

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    with open(log_path, "w") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        logging.getLogger().setLevel(logging.WARNING)
        start = time.perf_counter()
        model = train_nlu(args.config, str(train_path), str(work / "models"),
                          fixed_model_name="nlu-eval")
        train_seconds = time.perf_counter() - start
        if not model:
            print("training failed", file=sys.__stdout__)
            return 1
        agent = Agent.load(model)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # no per-message debug lines while timing parses

    async def run():
        await agent.parse_message("warm up the graph")
        return await _parse_all(agent, test.intent_examples)

    parsed, latencies = asyncio.run(run())
    out = io.StringIO()
    res = _score("20% held-out split", test.intent_examples, parsed, out)
    holdout_res = None
    if args.holdout and Path(args.holdout).exists():
        holdout = load_data(args.holdout)
        h_parsed, h_lat = asyncio.run(_parse_all(agent, holdout.intent_examples))
        latencies += h_lat
        holdout_res = _score(f"unseen messages ({args.holdout})", holdout.intent_examples,
                             h_parsed, out)
    print(out.getvalue())
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print("== summary")
    print(f"config            {args.config}")
    print(f"intent macro-F1   {res['macro_f1_raw']:.3f} (held-out)"
          + (f", {holdout_res['macro_f1_raw']:.3f} (unseen)" if holdout_res else ""))
    print(f"intent accuracy   {res['acc_raw']:.3f} (held-out)"
          + (f", {holdout_res['acc_raw']:.3f} (unseen)" if holdout_res else ""))
    print(f"after fallback    macro-F1 {res['macro_f1']:.3f}, fallback rate "
          f"{res['fallback_rate']:.1%} (held-out)")
    print(f"entity F1         {res['entity'][2]:.3f} (held-out) "
          + " ".join(f"{e}={f[2]:.3f}" for e, (f, _) in res["entity_per"].items()))
    print(f"training time     {train_seconds:.1f} s")
    print(f"parse latency     mean {statistics.mean(latencies):.1f} ms, "
          f"p95 {p95:.1f} ms ({len(latencies)} messages, one at a time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
