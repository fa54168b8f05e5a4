"""Relevance benchmark: peitu's keywords and article type against an editor's labels, on real articles.

For each article in bench/relevance/articles/ (real published Chinese articles, see its README) this runs,
in the same process and on the same parsed prose:

  keywords  (a) plain jieba TF-IDF top 8 (pipeline.ingest.keywords.plain_tfidf) over title + prose
            (b) peitu's top 8 (pipeline.ingest.keywords.extract_keywords over the parsed Article)
  type      peitu's detection (what read_article sets) against two baselines:
            - rules-on-TF-IDF: config's type rules scored only on the plain TF-IDF top 20 terms
            - majority: always the most common labelled type

and reports recall@8 against bench/relevance/labels.yaml (macro-averaged over articles) and type accuracy.

Match rule: a label is recalled when a predicted keyword equals it or one contains the other, after both
are converted to simplified Chinese (OpenCC t2s), lower-cased and stripped of spaces, and the shorter of the
two has at least 2 characters and is not a bare number ('10' does not recall '歼10'). Each predicted keyword
can recall at most one label (a maximum one-to-one matching), so '马拉松' cannot count for both '长沙马拉松'
and '全程马拉松'.

Each label has a split (see bench/relevance/README.md): `test` is the held-out part and is the default;
`tune` is the part to tune on; `extra` holds labelled articles kept out of both so that no source exceeds
15 % of either. Never tune on the test part, and never read its per-article rows while tuning.

    .venv/bin/python bench/relevance.py                  # test part: per-type table, then one key=value line
    .venv/bin/python bench/relevance.py --split tune --rows   # tune part, with per-article keyword lists
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import Config, load_config  # noqa: E402
from pipeline.ingest import read_article  # noqa: E402
from pipeline.ingest.keywords import extract_keywords, plain_tfidf, to_simplified  # noqa: E402

DATA = ROOT / "bench" / "relevance"
K = 8
BASELINE_TERMS = 20
SPLITS = ("tune", "test", "extra")
PARTS = ("tune", "test")  # the reported parts: each covers every type, no source over MAX_SHARE of it
MAX_SHARE = 0.15


def norm(word: str | int) -> str:
    """The form keywords are compared in: simplified, lower case, no spaces (YAML may read 91160 as int)."""
    return "".join(to_simplified(str(word)).lower().split())


def related(label: str, predicted: str) -> bool:
    """Equal, or one contains the other, the shorter at least 2 characters long and not a bare number."""
    a, b = norm(label), norm(predicted)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 2 and not short.replace(".", "").replace("%", "").isdigit() and short in long_


def matched(labels: list[str], predicted: list[str]) -> int:
    """Size of a maximum one-to-one matching between labels and predicted keywords (augmenting paths)."""
    edges = [[j for j, p in enumerate(predicted) if related(lbl, p)] for lbl in labels]
    owner: dict[int, int] = {}

    def claim(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or claim(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(claim(i, set()) for i in range(len(labels)))


def rules_on_terms(terms: list[str], rules: dict) -> str:
    """Baseline type: config's rule weights summed over the words found among `terms`; 'default' if none."""
    terms_n = {norm(t) for t in terms}
    scores = {t: sum(w for word, w in rule.keywords.items() if norm(word) in terms_n) for t, rule in rules.items()}
    best = max(scores, key=lambda t: scores[t])
    return best if scores[best] > 0 else "default"


def load_labels(split: str) -> dict[str, dict]:
    """The labels of one part ('all' = every part), after checking that every label names a known split."""
    labels = yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))
    unknown = sorted(name for name, label in labels.items() if label.get("split") not in SPLITS)
    if unknown:
        raise SystemExit(f"labels.yaml: {', '.join(unknown)} need a split ({' | '.join(SPLITS)})")
    return {name: label for name, label in labels.items() if split == "all" or label["split"] == split}


def source(name: str) -> str:
    """Where an article comes from: the GitHub repository of its source_url, else the URL's host."""
    text = (DATA / "articles" / f"{name}.md").read_text(encoding="utf-8")
    front_matter = text.split("\n---\n", 1)[0].removeprefix("---\n")
    url = str(yaml.safe_load(front_matter)["source_url"])
    parts = url.split("/")
    return "/".join(parts[3:5]) if parts[2] == "github.com" else parts[2]


def part_problems(labels: dict[str, dict]) -> list[str]:
    """Breaches of the split rules: a reported part missing a type, or a source over MAX_SHARE of a part."""
    types = {label["type"] for label in labels.values()}
    problems = []
    for part in PARTS:
        names = [name for name, label in labels.items() if label["split"] == part]
        missing = types - {labels[name]["type"] for name in names}
        if missing:
            problems.append(f"{part} part has no article of type {', '.join(sorted(missing))}")
        for src, count in Counter(source(name) for name in names).items():
            if count > MAX_SHARE * len(names):
                problems.append(f"{part} part: {src} has {count} of {len(names)} articles (over {MAX_SHARE:.0%})")
    return problems


def evaluate(names: list[str], labels: dict[str, dict], cfg: Config) -> list[dict]:
    """One row per article: its labelled type, both extractors' top K and both type guesses."""
    rows = []
    for name in names:
        gold = labels[name]
        article = read_article(DATA / "articles" / f"{name}.md", cfg)
        prose = f"{article.title}\n{article.text}"
        tfidf = plain_tfidf(prose, K)
        ours = extract_keywords(article, K, cfg)
        baseline_type = rules_on_terms(plain_tfidf(prose, BASELINE_TERMS), cfg.article_types.rules)
        rows.append({
            "id": name, "type": gold["type"], "peitu_type": article.type, "baseline_type": baseline_type,
            "r_peitu": matched(gold["keywords"], ours) / K, "r_tfidf": matched(gold["keywords"], tfidf) / K,
            "peitu": ours, "tfidf": tfidf,
        })
    return rows


def mean(key: str, rows: list[dict]) -> float:
    """Average of a per-article score over rows."""
    return sum(r[key] for r in rows) / len(rows)


def accuracy(key: str, rows: list[dict]) -> float:
    """Share of rows whose guessed type (under `key`) is the labelled type."""
    return sum(r[key] == r["type"] for r in rows) / len(rows)


def report(rows: list[dict], split: str, show_rows: bool, started: float) -> None:
    """Per-article rows (if asked), a table per type, the totals and one machine-readable line."""
    n = len(rows)
    majority = Counter(r["type"] for r in rows).most_common(1)[0][0]
    if show_rows:
        print(f"{'article':44} {'type':10} {'peitu':10} {'base':10} {'R@8 peitu':>9} {'R@8 tfidf':>9}")
        for r in rows:
            print(f"{r['id']:44} {r['type']:10} {r['peitu_type']:10} {r['baseline_type']:10} "
                  f"{r['r_peitu']:9.3f} {r['r_tfidf']:9.3f}")
            print(f"{'':44} peitu: {' '.join(r['peitu'])}")
            print(f"{'':44} tfidf: {' '.join(r['tfidf'])}")
        print()
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r)
    print(f"split: {split} ({n} articles)\n")
    print(f"{'type':12} {'n':>3} {'R@8 peitu':>9} {'R@8 tfidf':>9} {'type peitu':>10} {'type base':>9}")
    for t, rs in sorted(by_type.items()):
        print(f"{t:12} {len(rs):3d} {mean('r_peitu', rs):9.3f} {mean('r_tfidf', rs):9.3f} "
              f"{sum(r['peitu_type'] == t for r in rs):7d}/{len(rs):<2d} "
              f"{sum(r['baseline_type'] == t for r in rs):6d}/{len(rs):<2d}")
    print(f"\nrecall@8: peitu {mean('r_peitu', rows):.3f} vs plain TF-IDF {mean('r_tfidf', rows):.3f} "
          f"(ratio {mean('r_peitu', rows) / max(mean('r_tfidf', rows), 1e-9):.2f})")
    print(f"type accuracy: peitu {accuracy('peitu_type', rows):.3f}, "
          f"rules on TF-IDF terms {accuracy('baseline_type', rows):.3f}, "
          f"always '{majority}' {sum(r['type'] == majority for r in rows) / n:.3f}")
    sources = Counter(source(r["id"]) for r in rows)
    top, count = sources.most_common(1)[0]
    print(f"sources: {len(sources)}, the largest {top} with {count} of {n} ({count / n:.1%})")
    print(f"recall8_peitu={mean('r_peitu', rows):.3f} recall8_tfidf={mean('r_tfidf', rows):.3f} "
          f"type_acc_peitu={accuracy('peitu_type', rows):.3f} "
          f"type_acc_baseline={accuracy('baseline_type', rows):.3f} "
          f"type_acc_majority={sum(r['type'] == majority for r in rows) / n:.3f} n={n} split={split} "
          f"seconds={time.perf_counter() - started:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="peitu's keywords and type against an editor's labels.")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="test",
                        help="which labelled part to measure (default: test, the held-out part)")
    parser.add_argument("--rows", action="store_true", help="also print each article's keyword lists")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cfg = load_config(ROOT / "config.yaml")
    for problem in part_problems(load_labels("all")):
        print(f"warning: {problem} - fix the split in bench/relevance/labels.yaml", file=sys.stderr)
    labels = load_labels(args.split)
    rows = evaluate(sorted(labels), labels, cfg)
    report(rows, args.split, args.rows, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
