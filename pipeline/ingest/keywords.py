"""Keywords an editor would pick: jieba segmentation once per text, terms jieba splits put back together
(titles of works, quoted terms, names with digits, person names, recurring collocations: see terms.py),
then TF-IDF and TextRank combined, weighted by part of speech (people, places, organisations and concrete
nouns first; other content words softly, by how rare they are), title, headings and tags. Traditional
characters are matched in simplified form and shown as written.

    extract_keywords(article_or_text, k=12, cfg=None) -> list[str]     the ranking peitu uses
    plain_tfidf(text, k=12) -> list[str]                                jieba.analyse.extract_tags, a baseline
"""

from __future__ import annotations

import logging
import math
import re
import sys
import threading
from collections import ChainMap, Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..models import Article, Section
from .chinese import to_simplified
from .frontmatter import as_list
from .vocabulary import vocabulary
from .terms import FUNCTION_TAGS, NUMERALS, cue_pattern, find_cues, is_measure, join_compounds, tokenize

log = logging.getLogger(__name__)

ARTICLE_K = 12
SECTION_K = 6
PACKAGED = Path(__file__).resolve().parents[2] / "templates"

# part of speech → weight for names and nouns, which count whatever their frequency in general text
POS_WEIGHT = {
    "nr": 1.3, "nrfg": 1.3, "nrt": 1.3, "ns": 1.4, "nt": 1.3, "nz": 1.3, "nw": 1.3,
    "n": 1.0, "ng": 0.6, "eng": 1.2, "j": 0.9, "vn": 0.7, "an": 0.5,
}
# other content words (verbs, adjectives, 区别词 like 隐私, idioms, place and time words) count softly: this
# weight × how rare the word is in general text, rising from 0 at IDF SOFT_IDF to full at SOFT_IDF + SOFT_RAMP,
# so 失眠, 装修, 隐私 can be what a text is about while 加入, 算是, 简单 never are. Function words
# (pronouns, numerals, particles, adverbs …; terms.FUNCTION_TAGS) and unknown tags count 0.
SOFT_WEIGHT = {"v": 0.6, "vi": 0.6, "vd": 0.4, "vg": 0.4, "a": 0.5, "ad": 0.3, "ag": 0.3, "b": 0.6, "l": 0.6,
               "i": 0.4, "s": 0.6, "t": 0.5, "tg": 0.3, "z": 0.3, "g": 0.4}
SOFT_IDF, SOFT_RAMP = 6.5, 2.0
# common nouns count less the more common they are in general text: × GENERIC_FLOOR at IDF GENERIC_IDF and below,
# rising to full at GENERIC_IDF + GENERIC_RAMP × (1 - GENERIC_FLOOR)
GENERIC_IDF, GENERIC_RAMP, GENERIC_FLOOR = 6.0, 3.0, 0.3
FIELD_TERM = 1.0                       # weight of a word the article-type rules name as a field's term
# a named-entity cue jieba's tags miss (春熙路 is tagged an idiom): 3+ characters ending like a place name
PLACE_END = frozenset("路街巷道桥镇村乡县市区省州洲山峰岭湖江河海湾岛港寺庙塔宫园馆楼城关")
ENTITY = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "nw"})
COMMON_IDF = 10.0                      # TextRank counts fully only for words at least this rare
TITLE_BONUS, HEADING_BONUS = 1.0, 0.4
LEAD_BONUS = 0.3                       # words of the first paragraph: the 导语 says what the text is about
TFIDF_SHARE = 0.6                      # the rest is TextRank
WINDOW = 5                             # TextRank co-occurrence window, as jieba uses
GRAPH_WORDS = 80                       # TextRank re-ranks this many of the best TF-IDF candidates
SAME_TERM_SHARE = 0.5                  # a word used mostly (this share) inside a longer term gives way to it
# web and mail addresses are not prose: dropped before segmentation
URL = re.compile(r"(?:https?://|www\.)[\w\-.~:/?#@!$&'()*+,;=%]+|[\w.+-]+@[\w-]+\.[\w.-]+"
                 r"|[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|io|me|tv)\b(?:/[\w\-.~/?#=&%]*)?", re.ASCII)
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
FOREIGN_SHARE = 0.5                    # in a text at least this share Chinese, lines with no Chinese are left out
LETTERS_PER_CHARACTER = 3              # English letters that say about as much as one Chinese character
LOWER_ENGLISH = 0.3                    # a lower-case English word (gas, account) is rarely a name: iPhone, NASA are
ENGLISH = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9+#.\-]*$")
ENGLISH_STOP = frozenset("""a an and are as at be but by can do does for from get got has have he her his how i if in
into is it its just like make me more most my new no not now of on one only or our out over she so some than that
the their them then there these they this to too two up us use very was way we well were what when where which
who why will with you your yes ok via vs etc www com http https html png jpg
gb mb kb tb km kg cm mm ml mg kcal kwh mah hz ghz fps ppi dpi ms min sec px pt mp rmb usd""".split())


@dataclass
class Lexicon:
    """A jieba tokenizer with the user dictionary, POS tags, IDF table and stop words, built once."""

    tokenizer: Any                     # jieba.Tokenizer with the user dictionary
    posseg: Any                        # jieba.posseg.POSTokenizer over it
    tags: Mapping[str, str]            # word → POS tag (jieba's table under the user words)
    idf: dict[str, float]
    median_idf: float
    stopwords: frozenset[str]
    guessed: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    def flag(self, word: str) -> str:
        """Part of speech: from the dictionary, or guessed once for words jieba's HMM found; ns for
        words shaped like place names."""
        tag = self._tag(word)
        if (tag not in ENTITY and len(word) >= 3 and word[-1] in PLACE_END and word[0] not in NUMERALS
                and not word.isascii()):
            return "ns"
        return tag

    def _tag(self, word: str) -> str:
        tag = self.tags.get(word)
        if tag:
            return tag
        if word.isascii():
            return "eng" if ENGLISH.match(word) else "x"
        tag = self.guessed.get(word)
        if tag is None:          # a word jieba's HMM put together: trusted only as a noun (a name: 林一舟)
            flags = [p.flag for p in self.posseg.cut(word)]
            tag = self.guessed[word] = flags[0] if len(flags) == 1 and flags[0].startswith("n") else "?"
        return tag

    def tag(self, piece: str) -> str:
        """The dictionary tag of a piece of a word (a character or a dictionary word); x when unknown."""
        return "eng" if piece.isascii() and piece.isalnum() else self.tags.get(piece, "x")

    def pieces(self, word: str) -> list[str]:
        """The dictionary words `word` is made of, without taking it as one word: 篇文章 → 篇 文章,
        床上 → 床 上 (jieba's best path through its word graph, the whole-word edge left out)."""
        if len(word) < 2:
            return [word]
        dag = self.tokenizer.get_DAG(word)
        dag[0] = [end for end in dag[0] if end != len(word) - 1] or [0]
        route: dict[int, tuple[float, int]] = {}
        self.tokenizer.calc(word, dag, route)
        out, at = [], 0
        while at < len(word):
            end = route[at][1] + 1
            out.append(word[at:end])
            at = end
        return out

    def specific(self, word: str) -> float:
        """GENERIC_FLOOR..1: how specific a common noun is, by its rarity in general text (工作, 世界, 成本
        are common; 驾校, 竹签 are not); names, places and English words always count fully."""
        if word.isascii() or self.flag(word) in ENTITY:
            return 1.0
        rarity = (self.idf.get(word, self.median_idf) - GENERIC_IDF) / GENERIC_RAMP
        return min(1.0, GENERIC_FLOOR + max(0.0, rarity))

    def weight(self, word: str) -> float:
        """How much a word is worth as a keyword; 0 when it is not one (remembered per word)."""
        value = self.weights.get(word)
        if value is None:
            value = self.weights[word] = self._weight(word)
        return value

    def _weight(self, word: str) -> float:
        w = word.strip()
        low = w.lower()
        if not w or low in self.stopwords:
            return 0.0
        if w.isascii():
            english = len(w) >= 2 and ENGLISH.match(w) and low not in ENGLISH_STOP and not is_measure(w)
            if not english:
                return 0.0                                         # C919, 5G, iPhone; not 7B, 10g, 2024
            return POS_WEIGHT["eng"] * (LOWER_ENGLISH if w.islower() else 1.0)
        if len(w) < 2 or any(c.isdigit() for c in w):
            return 0.0
        flag = self.flag(w)
        if flag in POS_WEIGHT:
            return POS_WEIGHT[flag]
        if flag in FUNCTION_TAGS or flag not in SOFT_WEIGHT or w[0] in NUMERALS:
            return 0.0                                             # 十秒钟 is an idiom to jieba
        rarity = (self.idf.get(w, self.median_idf) - SOFT_IDF) / SOFT_RAMP
        return SOFT_WEIGHT[flag] * min(1.0, max(0.0, rarity))


# whole-word tags of words fit to print: names, nouns, terms; 'l' holds jieba's set phrases (无人机, 孜然)
PRINTABLE = frozenset({*ENTITY, "n", "nz", "vn", "an", "j", "l", "eng", "?"})
# single characters that do not begin a printable word (篇文章, 比人, 刚跑, 最神奇, 当…时), end one (床上, 陈说,
# 干嘛, 定义成, 成本低) or stand inside one (心里有个数); a common two-character word of the dictionary (比赛,
# 当地, 高中) is only checked for the particles and place words that end phrases (床上, 身上)
LEAD_CHARS = frozenset("篇段比刚最很太更都也就才又还再已正把被让给对从往跟与及或而但却"
                       "这那哪某每各该其此些是需会能可没别当出回待")
TAIL_CHARS = frozenset("上下里中内外前后时的地得了着过吗呢吧啊嘛么呀哦说成低完掉起来去")
PHRASE_TAIL = frozenset("上下里时的地得了着过吗呢吧啊嘛么呀哦说")
INNER_CHARS = frozenset("的了着过是有在和与把被给说个")
COMMON_WORD = 100                      # jieba dictionary frequency from which a two-character word is trusted
VERBS = frozenset({"v", "vd", "vi", "vg"})
VERBISH = frozenset({*VERBS, "a", "ad", "d", "p", "c", "r", "u", "f"})


def is_displayable(word: str, cfg: Config | None = None) -> bool:
    """Whether a keyword is fit to print on a cover: a name, a noun or a field's term, not a verb, a fragment
    or a piece of a sentence (上床, 床上, 篇文章, 比人, 刚跑, 陈说, 心里有个数 are not). English words must
    look like names (iPhone, NASA, 5G); a Chinese word needs a noun's part of speech (or to be one of the
    article-type rules' terms) and, since jieba's dictionary holds phrases tagged as nouns, pieces that
    make a noun: no grammatical character at either end or inside, no verb or adjective at the end, and
    a word the dictionary lacks may not start with one either (发枪, 速览, 出身草根)."""
    lex = lexicon(cfg)
    w = word.strip()
    if len(w) < 2 or w.lower() in lex.stopwords:
        return False
    if w.isascii():
        return bool(ENGLISH.match(w)) and w.lower() not in ENGLISH_STOP and not is_measure(w) and (
            any(c.isupper() or c.isdigit() for c in w))
    pieces = lex.pieces(w)
    first, last = pieces[0], pieces[-1]
    if len(w) == 2 and (lex.tokenizer.FREQ.get(w) or 0) >= COMMON_WORD:
        if w[1] in PHRASE_TAIL:
            return False
    elif ((len(first) == 1 and first in LEAD_CHARS) or (len(last) == 1 and last in TAIL_CHARS)
            or any(len(p) == 1 and p in INNER_CHARS for p in pieces[1:-1])):
        return False
    flag = lex.flag(w)
    terms = vocabulary(cfg.article_types).terms if cfg is not None else frozenset()
    if w in terms:
        return flag not in VERBS
    if flag not in PRINTABLE:
        return False
    unknown = not lex.tokenizer.FREQ.get(w)      # put together by jieba's HMM or the compound joiner
    short = unknown and len(w) == 2 and w[1] not in PLACE_END   # its characters' tags count: 发枪, 荣安 (not 喜洲)

    def verbish(piece: str) -> bool:
        return (len(piece) > 1 or short) and piece not in terms and lex.tag(piece) in VERBISH

    return len(pieces) == 1 or (not verbish(last) and not (unknown and verbish(first)))


_lexicons: dict[tuple[str, str], Lexicon] = {}
_lock = threading.Lock()


def _user_file(cfg: Config | None, name: str) -> Path:
    """The configured userdict/stopwords file, else the copy shipped in templates/."""
    if cfg is not None:
        path = cfg.path(getattr(cfg.paths, name))
        if path.is_file():
            return path
        log.debug("%s not found; using the packaged %s", path, name)
    return PACKAGED / f"{name}.txt"


def _lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a UTF-8 word list."""
    if not path.is_file():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def shared_lexicon() -> Lexicon:
    """A Lexicon already built in this process (any config's), else the default one: for code that only
    needs words and tags (title line breaks), so a process never holds two jieba dictionaries."""
    return next(iter(_lexicons.values()), None) or lexicon()


def lexicon(cfg: Config | None = None) -> Lexicon:
    """The process-wide Lexicon for cfg's user dictionary and stop words (built on first use, ~1 s)."""
    userdict, stopwords = _user_file(cfg, "userdict"), _user_file(cfg, "stopwords")
    key = (str(userdict), str(stopwords))
    lex = _lexicons.get(key)
    if lex is not None:
        return lex
    with _lock:
        if key not in _lexicons:
            _lexicons[key] = _build(userdict, stopwords)
        return _lexicons[key]


def _quiet_jieba() -> None:
    jlog = logging.getLogger("jieba")
    if jlog.level < logging.INFO and logging.getLogger().level > logging.DEBUG:
        jlog.setLevel(logging.WARNING)


def _import_jieba() -> None:
    """Import jieba without pkg_resources, which it only uses to open its own data files (falling back to
    plain paths when it is missing) and which costs 0.3 s and 12 MB of memory to import."""
    if "jieba" in sys.modules:
        return
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        import jieba.analyse
        import jieba.posseg  # noqa: F401
    finally:
        if hidden:
            del sys.modules["pkg_resources"]


def _build(userdict: Path, stopwords: Path) -> Lexicon:
    _import_jieba()
    import jieba
    import jieba.analyse
    import jieba.posseg

    _quiet_jieba()
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    posseg = _pos_tokenizer(tokenizer)
    for line in _lines(userdict):
        parts = line.split()
        freq = next((int(p) for p in parts[1:] if p.isdigit()), None)
        tag = next((p for p in parts[1:] if not p.isdigit()), "nz")
        tokenizer.add_word(parts[0], freq, tag)
    posseg.makesure_userdict_loaded()            # the user words' tags go into posseg's own layer
    tags = posseg.word_tag_tab
    idf = jieba.analyse.default_tfidf
    tokenizer.FREQ = _shared(tokenizer.FREQ)
    jieba.posseg.dt.word_tag_tab = tags.maps[1] = _shared(jieba.posseg.dt.word_tag_tab)
    idf.idf_freq = idf.idf_loader.idf_freq = _shared(idf.idf_freq)
    stop = frozenset(w.lower() for w in _lines(stopwords))
    log.debug("jieba ready: %d user words, %d stop words", len(_lines(userdict)), len(stop))
    return Lexicon(tokenizer, posseg, tags, idf.idf_freq, idf.median_idf, stop)


def _shared(table: dict[str, Any]) -> dict[str, Any]:
    """`table` holding interned words (and tags): jieba reads its word frequencies, tags and IDF (~1.1 million
    keys) from three files, one string object per word per table; interned, each word is one object."""
    return {sys.intern(k): sys.intern(v) if isinstance(v, str) else v for k, v in table.items()}


def _pos_tokenizer(tokenizer: Any) -> Any:
    """A POSTokenizer over `tokenizer` whose tag table is a layer of this lexicon's own words over the
    table `import jieba.posseg` already loaded (~350,000 words, ~60 MB), instead of a second copy."""
    import jieba.posseg

    posseg = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    posseg.tokenizer = tokenizer
    posseg.word_tag_tab = ChainMap({}, jieba.posseg.dt.word_tag_tab)
    return posseg


def _textrank(sequences: list[list[str]]) -> dict[str, float]:
    """TextRank over candidate words co-occurring within WINDOW (jieba's graph and iteration)."""
    from jieba.analyse.textrank import UndirectWeightedGraph

    pairs: Counter[tuple[str, str]] = Counter()
    for seq in sequences:
        for i, word in enumerate(seq):
            for other in seq[i + 1:i + WINDOW]:
                if other != word:
                    pairs[(word, other)] += 1
    if not pairs:
        return {}
    graph = UndirectWeightedGraph()
    for (a, b), n in pairs.items():
        graph.addEdge(a, b, n)
    return dict(graph.rank())


@dataclass
class Unit:
    """Text to rank: candidate sequences (one per paragraph), and where bonuses come from."""

    sequences: list[list[str]]
    title: str = ""
    headings: list[str] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)     # cue terms and compounds → weight
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)   # collocation → its words
    text: str = ""                                            # the unit's simplified text
    lead: set[str] = field(default_factory=set)               # words of its first paragraph


def rank(unit: Unit, lex: Lexicon, k: int) -> list[tuple[str, float]]:
    """The top k (word, score) of a unit, each keyword once (see _pick)."""
    counts = Counter(w for seq in unit.sequences for w in seq)
    total = sum(counts.values()) or 1
    for compound, parts in reversed(unit.parts.items()):     # a use of 端侧大模型 is a use of 大模型
        for part in parts:
            if counts[compound] and (part in unit.extra or lex.weight(part) > 0):
                counts[part] += counts[compound]
    for word in [w for w in counts if w.isascii() and w.islower() and counts[w] < 2]:
        del counts[word]                         # a lowercase English word seen once is noise
    if not counts:
        return []
    tfidf = {w: n / total * lex.idf.get(w, lex.median_idf) for w, n in counts.items()}
    best = set(sorted(tfidf, key=tfidf.__getitem__, reverse=True)[:GRAPH_WORDS])
    tr = _textrank([[w for w in seq if w in best] for seq in unit.sequences])
    top_tfidf, top_tr = max(tfidf.values()), max(tr.values(), default=0) or 1.0
    title, headings = unit.title.lower(), [h.lower() for h in unit.headings]
    scores = {}
    for w in counts:
        rarity = min(1.0, lex.idf.get(w, lex.median_idf) / COMMON_IDF)
        base = TFIDF_SHARE * tfidf[w] / top_tfidf + (1 - TFIDF_SHARE) * rarity * tr.get(w, 0.0) / top_tr
        low = w.lower()
        bonus = (1 + TITLE_BONUS * (low in title) + HEADING_BONUS * math.log1p(sum(low in h for h in headings))
                 + LEAD_BONUS * (w in unit.lead))
        scores[w] = base * (unit.extra.get(w) or lex.weight(w)) * bonus * lex.specific(w)
    return _pick(scores, unit, lex, k)


def _pick(scores: dict[str, float], unit: Unit, lex: Lexicon, k: int) -> list[tuple[str, float]]:
    """The k best words, one per keyword (see _one_keyword); a term replaces a word mostly used inside it."""
    picked: list[tuple[str, float]] = []
    later: list[tuple[str, float]] = []          # words overlapping a picked one: N44 beside N44F, 高中 beside 高中同学
    text = unit.text.lower()
    for w, s in sorted(scores.items(), key=lambda ws: (-ws[1], ws[0])):
        same = [i for i, (p, _) in enumerate(picked) if _one_keyword(w, p, unit.parts, text)]
        if not same:
            if any(_overlap(w, p, lex) for p, _ in picked):
                later.append((w, s))
            else:
                picked.append((w, s))
        elif all(_mostly_inside(picked[i][0], w, text) for i in same):
            picked[same[0]] = (w, picked[same[0]][1])
            picked = [pw for i, pw in enumerate(picked) if i not in same[1:]]
        if len(picked) == k:
            break
    return picked + later[:k - len(picked)]


def _overlap(a: str, b: str, lex: Lexicon) -> bool:
    """One word holds the other, and the shorter is English or no word of the dictionary: N44 beside N44F,
    荣安 beside 荣安驾校 would say the same thing twice (牛肉 beside 牛肉丸 would not)."""
    short, long_ = sorted((a, b), key=len)
    return (len(short) >= 2 and short.lower() in long_.lower()
            and (short.isascii() or short not in lex.tags))


def _one_keyword(a: str, b: str, parts: dict[str, tuple[str, ...]], text: str) -> bool:
    """Whether a and b would be the same keyword twice: they differ only in case, or the longer was built
    from the shorter (全因死亡率 from 死亡率), or holds most of its uses (端侧大模型, 端侧). A word of its own
    containing another is another keyword (牛肉丸, 牛肉; 旅行家, 旅行)."""
    if a.lower() == b.lower():
        return True
    longer, part = (a, b) if len(a) > len(b) else (b, a)
    return contains(longer, part) and (_built_from(longer, part, parts) or _mostly_inside(part, longer, text))


def _built_from(term: str, part: str, parts: dict[str, tuple[str, ...]]) -> bool:
    return any(p == part or _built_from(p, part, parts) for p in parts.get(term, ()))


def _mostly_inside(part: str, longer: str, text: str) -> bool:
    """`longer` contains `part` and holds at least SAME_TERM_SHARE of its uses in (lower-cased) `text`."""
    if len(longer) <= len(part) or not contains(longer, part):
        return False
    uses = text.count(part.lower())
    return not uses or text.count(longer.lower()) >= SAME_TERM_SHARE * uses


def contains(longer: str, part: str) -> bool:
    """`part` is in `longer` (ignoring case), as a whole word where it is English: AI in AI手机, not in OpenAI."""
    longer, part = longer.lower(), part.lower()
    if not part.isascii():
        return part in longer
    return re.search(rf"(?<![a-z0-9]){re.escape(part)}(?![a-z0-9])", longer) is not None


def _with_tags(ranked: list[tuple[str, float]], tags: list[str], text: str, k: int) -> list[str]:
    """Editor's tags join the ranking: those the text mentions lead; the others rank at 0.7 × the top score.
    A ranked word inside a tag (大模型 in 端侧大模型) gives way to it."""
    top = ranked[0][1] if ranked else 1.0
    scored = dict(ranked)
    tags = [tag for tag in tags if 1 <= len(tag) <= 16]
    for tag in tags:
        scored[tag] = max(scored.get(tag, 0.0), top * (1.2 if tag.lower() in text.lower() else 0.7))
    order = sorted(scored, key=lambda w: -scored[w])
    out: list[str] = []
    for w in order:
        if not any(w.lower() == o.lower() or (o in tags and contains(o, w)) for o in out):
            out.append(w)
    return out[:k]


def _shown(word: str, original: str, simplified: str) -> str:
    """A word found in simplified text, as the original (traditional) text writes it."""
    if original == simplified or len(original) != len(simplified):
        return word
    at = simplified.find(word)
    return original[at:at + len(word)] if at >= 0 else word


def annotate(article: Article, cfg: Config | None = None, *, k: int = ARTICLE_K,
             section_k: int = SECTION_K) -> None:
    """Set article.keywords (top k) and every section's keywords (top section_k), in place."""
    lex = lexicon(cfg)
    raws = ["\n".join([s.heading, *s.paragraphs]) for s in article.sections]
    simples = [to_simplified(raw) for raw in raws]
    title = to_simplified(article.title)
    cues = find_cues("\n".join([title, *simples]), lex)
    pattern = cue_pattern(cues)
    lines = [tokenize(title, lex, pattern)]
    ends = []                                    # where each section's lines end in `lines`
    chinese = _mostly_chinese("\n".join(simples))
    for simple in simples:
        lines.extend(tokenize(URL.sub(" ", line), lex, pattern) if not chinese or CJK_CHAR.search(line) else []
                     for line in simple.split("\n"))
        ends.append(len(lines))
    compounds = join_compounds(lines, lex, cues)
    extra = {**_field_terms(compounds.lines, lex, cfg), **compounds.weights, **cues}
    seqs = [[w for w in line if w in extra or lex.weight(w) > 0] for line in compounds.lines]
    leads = [set(seqs[start + 1]) if section.paragraphs else set()        # line 0 is the heading
             for section, start in zip(article.sections, [1, *ends], strict=False)]   # (one start too many)
    for section, raw, simple, start, end, lead in zip(article.sections, raws, simples, [1, *ends], ends, leads,
                                                      strict=False):
        unit = Unit(seqs[start:end], title=to_simplified(section.heading), extra=extra, parts=compounds.parts,
                    text=simple, lead=lead)
        section.keywords = [_shown(w, raw, simple) for w, _ in rank(unit, lex, section_k)]
    raw_all = "\n".join([article.title, *raws])
    simple_all = "\n".join([title, *simples])
    whole = Unit(seqs, title=title, extra=extra, parts=compounds.parts, text=simple_all,
                 lead=next((lead for lead in leads if lead), set()),
                 headings=[to_simplified(s.heading) for s in article.sections if s.heading])
    ranked = [(_shown(w, raw_all, simple_all), s) for w, s in rank(whole, lex, k)]
    article.keywords = _with_tags(ranked, _tags(article), raw_all, k)


def _field_terms(lines: list[list[str]], lex: Lexicon, cfg: Config | None) -> dict[str, float]:
    """Words of the text that the article-type rules name as a field's terms, weighted at least as a noun:
    jieba's dictionary tags some of them as other parts of speech (相机 an adverb, 前端 a direction)."""
    if cfg is None:
        return {}
    terms = vocabulary(cfg.article_types).terms
    return {w: FIELD_TERM for w in {w for line in lines for w in line}
            if not w.isascii() and w in terms and w not in lex.stopwords and lex.weight(w) < FIELD_TERM}


def _mostly_chinese(text: str) -> bool:
    """At least FOREIGN_SHARE of the text is Chinese (three English letters counting as one character): then
    a line with none (an English quote or abstract, a directive like `.. image::`) gives no keywords."""
    cjk = len(CJK_CHAR.findall(text))
    latin = sum(c.isascii() and c.isalpha() for c in text)
    return cjk > 0 and cjk >= FOREIGN_SHARE * (cjk + latin / LETTERS_PER_CHARACTER)


def _tags(article: Article) -> list[str]:
    return [*as_list(article.meta.get("tags")), *as_list(article.meta.get("categories")),
            *as_list(article.meta.get("keywords"))]


def extract_keywords(source: Article | str, k: int = ARTICLE_K, cfg: Config | None = None) -> list[str]:
    """Top k keywords of an Article (title, headings, tags and prose) or of plain prose text."""
    if isinstance(source, str):
        source = Article(title="", sections=[Section(heading="", level=0, paragraphs=source.splitlines())],
                         text=source, body_html="", slug="")
    else:
        source = Article(title=source.title, sections=[Section(s.heading, s.level, list(s.paragraphs))
                                                       for s in source.sections],
                         text=source.text, body_html="", slug=source.slug, meta=source.meta)
    annotate(source, cfg, k=k)
    return source.keywords


def plain_tfidf(text: str, k: int = ARTICLE_K) -> list[str]:
    """Baseline: plain jieba.analyse.extract_tags (global dictionary, no POS, no stop words of ours)."""
    import jieba.analyse

    _quiet_jieba()
    return list(jieba.analyse.extract_tags(text, topK=k))
