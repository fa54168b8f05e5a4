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
two has at least 2 characters and is not a bare number ('10' does not recall '歼10'). Each predicted keyword can recall at most one label (a maximum one-to-one
matching), so '马拉松' cannot count for both '长沙马拉松' and '全程马拉松'.

    .venv/bin/python bench/relevance.py            # table, then one machine-readable line
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.ingest import read_article  # noqa: E402
from pipeline.ingest.keywords import extract_keywords, plain_tfidf, to_simplified  # noqa: E402

DATA = ROOT / "bench" / "relevance"
K = 8
BASELINE_TERMS = 20


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


def main() -> int:
    started = time.perf_counter()
    cfg = load_config(ROOT / "config.yaml")
    labels = yaml.safe_load((DATA / "labels.yaml").read_text(encoding="utf-8"))
    majority = Counter(v["type"] for v in labels.values()).most_common(1)[0][0]
    rows = []
    for path in sorted((DATA / "articles").glob("*.md")):
        gold = labels[path.stem]
        article = read_article(path, cfg)
        prose = f"{article.title}\n{article.text}"
        tfidf = plain_tfidf(prose, K)
        ours = extract_keywords(article, K, cfg)
        baseline_type = rules_on_terms(plain_tfidf(prose, BASELINE_TERMS), cfg.article_types.rules)
        rows.append({
            "id": path.stem, "type": gold["type"], "peitu_type": article.type, "baseline_type": baseline_type,
            "r_peitu": matched(gold["keywords"], ours) / K, "r_tfidf": matched(gold["keywords"], tfidf) / K,
            "peitu": ours, "tfidf": tfidf,
        })
    n = len(rows)
    mean = lambda key: sum(r[key] for r in rows) / n  # noqa: E731
    acc = lambda key: sum(r[key] == r["type"] for r in rows) / n  # noqa: E731

    print(f"{'article':38} {'type':10} {'peitu':10} {'base':10} {'R@8 peitu':>9} {'R@8 tfidf':>9}")
    for r in rows:
        print(f"{r['id']:38} {r['type']:10} {r['peitu_type']:10} {r['baseline_type']:10} "
              f"{r['r_peitu']:9.3f} {r['r_tfidf']:9.3f}")
        print(f"{'':38} peitu: {' '.join(r['peitu'])}")
        print(f"{'':38} tfidf: {' '.join(r['tfidf'])}")
    print()
    by_type: dict[str, list[dict]] = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r)
    print(f"{'type':12} {'n':>2} {'R@8 peitu':>9} {'R@8 tfidf':>9} {'type ok':>7}")
    for t, rs in sorted(by_type.items()):
        print(f"{t:12} {len(rs):2d} {sum(r['r_peitu'] for r in rs) / len(rs):9.3f} "
              f"{sum(r['r_tfidf'] for r in rs) / len(rs):9.3f} "
              f"{sum(r['peitu_type'] == t for r in rs):4d}/{len(rs)}")
    print(f"\nrecall@8: peitu {mean('r_peitu'):.3f} vs plain TF-IDF {mean('r_tfidf'):.3f} "
          f"(ratio {mean('r_peitu') / max(mean('r_tfidf'), 1e-9):.2f})")
    print(f"type accuracy: peitu {acc('peitu_type'):.3f}, rules on TF-IDF terms {acc('baseline_type'):.3f}, "
          f"always '{majority}' {sum(r['type'] == majority for r in rows) / n:.3f}")
    print(f"recall8_peitu={mean('r_peitu'):.3f} recall8_tfidf={mean('r_tfidf'):.3f} "
          f"type_acc_peitu={acc('peitu_type'):.3f} type_acc_baseline={acc('baseline_type'):.3f} "
          f"type_acc_majority={sum(r['type'] == majority for r in rows) / n:.3f} n={n} "
          f"seconds={time.perf_counter() - started:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
