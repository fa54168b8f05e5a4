"""Terms jieba splits, put back together, over the tokens of one article: titles of works and quoted terms,
model and product names with digits, letter words, person names and collocations that recur together.

    find_cues(text, lex) -> dict[str, float]              《书名》, “术语” and 歼20-like names → weight
    tokenize(line, lex, cues) -> list[str]                jieba's tokens, cue terms kept whole
    join_compounds(lines, lex, cues) -> Compounds         tokens with compounds joined, their weights and parts
    is_measure(token) -> bool                             a bare number, date, percentage or 7B, 10g, 16GB

A compound is joined only where it recurs (at least MIN_REPEATS times in the article): a text repeats the
names it is about, while a chance neighbourhood (涨 + 15, 张三 + 说) rarely repeats."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .keywords import Lexicon

MIN_REPEATS = 2
COLLOCATION_SHARE = 0.6    # two terms are one when the pair is ≥ this share of the rarer term's uses
NAME_SHARE = 0.9           # 李笑 + 来: the character follows (nearly) every use of the name
MAX_CHARS = 6              # longest Chinese collocation (three two-character words)
ROUNDS = 2                 # joins of joins: Mate + 60 → Mate 60, then + Pro
BOOK_WEIGHT, QUOTE_WEIGHT, MODEL_WEIGHT, NAME_WEIGHT = 1.3, 1.2, 1.3, 1.3
GRAMMAR_IDF = 4.0          # words more common than this (是, 有, 到, 说, 来) are grammar, not meaning
NEW_WORD_WEIGHT = 1.0      # a word jieba does not know that recurs (微博 in its 2012 dictionary): a noun

BOOK_TITLE = re.compile(r"《([^《》\n]{1,12})》")       # longer titles (laws, reports) are no keyword
QUOTED = re.compile(r"[“「『]([^“”「」『』\s\d，。！？、：；,.!?:;]{2,8})[”」』]|\"([\u4e00-\u9fff]{2,8})\"")
CJK = re.compile(r"^[\u4e00-\u9fff]+$")
DIGITS = re.compile(r"^\d{1,5}$")
# a designation: Chinese characters then a number (歼20, 运-20, 东风41, 麒麟9000), not followed by more digits
DESIGNATION = re.compile(r"([\u4e00-\u9fff])(-?\d{1,4})(?![\d.０-９])")
# characters that introduce a quantity, so a number after them is no name (是20, 约200, 涨15, 第3)
BEFORE_NUMBER = frozenset(
    "是有为达超约近逾用花涨跌降升增减排占第前后共仅只才至到比和与及或等在于了的过个每各再又还也都就剩满差余"
    "一二三四五六七八九十百千万两几半这那哪某")
WORD = re.compile(r"^[A-Za-z][A-Za-z0-9+#.]*$")
NUMBERED = re.compile(r"^\d[A-Za-z0-9.]*$")
# a number then letters: 7B, 10g, 16GB, 120Hz are measurements; 5G, 3D, 4o are names
MEASURE = re.compile(r"^\d+(?:\.\d+)?([A-Za-zμ]+)$")
UNITS = frozenset("""g kg mg t T ml mL l L km m cm mm nm μm GB MB KB kB TB PB Gb Mb Kb kb B b K k W kW KW kWh KWh Wh
V mV A mA mAh Hz kHz MHz GHz s ms h hr hrs min mins sec d fps P p x X M w kcal cal Cal mph ppi dpi bit bits nit
nits lm dB db bps Mbps Gbps Kbps mmHg pcs st nd rd th am pm AM PM px pt em rem oz lb lbs ft mi yd""".split())
# Chinese measure and time words after a number make it a quantity (3 斤, 200 人), not a name (歼 10)
CJK_UNITS = frozenset("""
年 月 日 号 时 点 分 秒 岁 元 块 角 个 次 倍 人 位 名 家 只 条 件 台 辆 张 本 页 章 节 集 季 期 届 层 楼
克 斤 两 升 米 里 度 天 周 万 亿 千 百 多 余 公里 公斤 分钟 小时 毫升 厘米 毫米 平方 平米 星期""".split())
PRODUCT_SUFFIX = frozenset("Pro Max Plus Ultra mini Mini Air SE Lite Turbo".split())
# pronouns, numerals, measure words, prepositions, conjunctions, particles, adverbs, interjections, directions
FUNCTION_TAGS = frozenset("r rr rz rg m mq mg q p c u uj ul uz ug uv ud d dg df e o y x zg f k h".split())
NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
NUMERALS = frozenset("一二三四五六七八九十百千万两几半每这那哪某第")
UNIT_AFTER = re.compile("|".join(sorted(CJK_UNITS, key=len, reverse=True)) + r"|[A-Za-z%‰％]")
# the 250 most common surnames: a two-character name jieba cut from a longer one (李笑 | 来) starts with one
SURNAMES = frozenset("""
王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈
姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍
庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶
解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞
敖巩明佘池乐匡""".replace("\n", ""))


def is_measure(token: str) -> bool:
    """True for an ASCII token that is a bare number, date, time, percentage or a number with a unit."""
    if not any(c.isalpha() for c in token):
        return True
    unit = MEASURE.match(token)
    return bool(unit and unit.group(1) in UNITS)


def find_cues(text: str, lex: Lexicon) -> dict[str, float]:
    """Terms to keep whole: titles of works in 《》, short quoted terms (“…” 「…」) that jieba would cut and
    that hold a keyword (“端侧大模型”, not “不知道”), and designations (see find_designations)."""
    cues = {m.group(1).strip(): BOOK_WEIGHT for m in BOOK_TITLE.finditer(text) if m.group(1).strip()}
    for m in QUOTED.finditer(text):
        term = m.group(1) or m.group(2)
        if term in cues or term in lex.stopwords:
            continue
        parts = list(lex.tokenizer.cut(term))
        if len(parts) > 1 and any(lex.weight(p) > 0 for p in parts):
            cues[term] = QUOTE_WEIGHT
    for term in find_designations(text, lex):
        cues.setdefault(term, MODEL_WEIGHT)
    return cues


def find_designations(text: str, lex: Lexicon) -> list[str]:
    """Names made of a Chinese prefix and a number that recur: 歼20, 运-20, 东风41, 麒麟9000. The prefix is
    the word of one or two characters jieba ends on before the number (not 侬 of 迪卡侬); a number after a
    word that introduces quantities (是, 约, 涨, 第) or before a unit (3 斤, 200 人, 10g, 15%) is a quantity."""
    found: Counter[str] = Counter()
    for m in DESIGNATION.finditer(text):
        if m.group(1) in BEFORE_NUMBER or UNIT_AFTER.match(text, m.end()):
            continue
        *_, prefix = lex.tokenizer.cut(text[max(0, m.start() - 4):m.start(2)])
        if prefix not in lex.tags and len(prefix) == 2 and lex.idf.get(prefix[0], lex.median_idf) < GRAMMAR_IDF:
            prefix = prefix[1]                   # jieba's HMM glued a grammatical word on: 是 | 运
        if (len(prefix) == 1 or (len(prefix) == 2 and prefix in lex.tags)) and prefix not in lex.stopwords:
            found[prefix + m.group(2)] += 1
    return [term for term, n in found.items() if n >= MIN_REPEATS]


def cue_pattern(cues: dict[str, float]) -> re.Pattern[str] | None:
    """A pattern finding the cue terms, longest first, not inside a longer number or English word
    (运20 not in 运2024); None when there are none."""
    if not cues:
        return None
    alternatives = []
    for term in sorted(cues, key=len, reverse=True):
        before = r"(?<![A-Za-z0-9])" if term[0].isascii() and term[0].isalnum() else ""
        after = r"(?![A-Za-z0-9])" if term[-1].isascii() and term[-1].isalnum() else ""
        alternatives.append(before + re.escape(term) + after)
    return re.compile("|".join(alternatives))


def tokenize(line: str, lex: Lexicon, cues: re.Pattern[str] | None) -> list[str]:
    """jieba's tokens of a line; each occurrence of a cue term is one token."""
    cut = lex.tokenizer.cut
    if cues is None:
        return list(cut(line))
    out: list[str] = []
    at = 0
    for m in cues.finditer(line):
        out.extend(cut(line[at:m.start()]))
        out.append(m.group())
        at = m.end()
    out.extend(cut(line[at:]))
    return out


@dataclass(frozen=True)
class Join:
    """A compound found at a position: its form, how many tokens it spans, its weight, the share of the
    uses of `of` (its parts) it must account for to count as one term (0: none asked), and whether those
    parts stay words of their own (a collocation's do: 装修 in 装修公司; a name's do not: 李笑 in 李笑来)."""

    form: str
    span: int
    weight: float
    share: float = 0.0
    of: tuple[str, ...] = ()
    words: bool = False


@dataclass
class Compounds:
    """An article's tokens, lines with compounds joined; each compound's weight; the parts of each
    collocation, in the order they were joined (each use of 端侧大模型 is also a use of 大模型)."""

    lines: list[list[str]]
    weights: dict[str, float] = field(default_factory=dict)
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Joiner:
    """Finds compounds in one article's tokens (see the module docstring)."""

    def __init__(self, lex: Lexicon, fixed: dict[str, float]) -> None:
        self.lex = lex
        self.fixed = fixed             # cue terms: whole already, never joined
        self.weights: dict[str, float] = {}
        self.new_words: set[str] = set()  # words jieba does not know that recur

    def weight(self, token: str) -> float:
        return self.weights.get(token) or self.lex.weight(token)

    def content(self, token: str) -> bool:
        """A Chinese word that can be part of a name: not a stop word, numeral, measure or function word."""
        return (bool(CJK.match(token)) and token not in self.lex.stopwords and token[0] not in NUMERALS
                and token not in CJK_UNITS and self.lex.flag(token) not in FUNCTION_TAGS)

    def at(self, line: list[str], i: int) -> Join | None:
        """The compound starting at line[i], if the tokens there make one."""
        a, b = line[i], line[i + 1]
        if not a[0].isalnum() or not (b[0].isalnum() or b in (" ", "-")) or a in self.fixed or b in self.fixed:
            return None
        c = line[i + 2] if i + 2 < len(line) else ""
        if a.isascii():
            return self._ascii(line, i, a, b, c)
        if len(a) == 2 and len(b) == 1 and a[0] in SURNAMES and self.lex.flag(a) in NAME_TAGS and self.content(b):
            return Join(a + b, 2, NAME_WEIGHT, NAME_SHARE, (a,))                         # 李笑 + 来
        return self._collocation(a, b)

    def _ascii(self, line: list[str], i: int, a: str, b: str, c: str) -> Join | None:
        if len(a) == 1 and a.isupper() and CJK.match(b) and len(b) <= 3 and self.content(b):
            return Join(a + b, 2, MODEL_WEIGHT)                                          # B 站, G 小调
        if b == " " and c in PRODUCT_SUFFIX and any(ch.isdigit() for ch in a) and a in self.weights:
            return Join(a + b + c, 3, MODEL_WEIGHT)                                      # Mate 60 + Pro
        if WORD.match(a) and any(ch.isupper() for ch in a) and b in (" ", "-") and NUMBERED.match(c) \
                and (not is_measure(c) or (DIGITS.match(c) and not self._quantity(line, i + 3))):
            return Join(a + b + c, 3, MODEL_WEIGHT)                          # iPhone 16, GPT-4o; not a 1
        return self._collocation(a, b) if WORD.match(a) else None

    def _collocation(self, a: str, b: str) -> Join | None:
        """Two keyword candidates side by side (端侧 + 大模型, AI + 手机), or a noun and a one-character noun
        that heads it (娃娃 + 菜). Chinese compounds end in their head, so a word jieba does not know may
        lead but not end one (not 日本 + 火到)."""
        if a.isascii() and b.isascii():
            return None          # English words are separated by spaces; jieba keeps them whole
        form = a + b
        if len(form) > MAX_CHARS and sum(not c.isascii() for c in form) > MAX_CHARS:
            return None
        modifier = self.weight(a)
        head = self.weight(b) or (modifier if len(b) == 1 and self.lex.flag(b) in ("n", "ng") else 0.0)
        if not head or not modifier or b in self.new_words:
            return None
        return Join(form, 2, max(head, modifier), COLLOCATION_SHARE, (a, b), words=True)

    def unknown(self, token: str) -> bool:
        """A word of two or more Chinese characters that jieba's dictionary lacks and its HMM put together,
        none of whose pieces is a stop, function or grammatical word (微博, 端侧; not 我妈, 微博上, 投是)."""
        if len(token) < 2 or token in self.lex.tags or not self.content(token):
            return False
        lex = self.lex
        return all(piece not in lex.stopwords
                   and (piece not in lex.tags
                        or (self.content(piece) and lex.idf.get(piece, lex.median_idf) >= GRAMMAR_IDF))
                   for piece in lex.tokenizer.cut(token, HMM=False))

    def _quantity(self, line: list[str], j: int) -> bool:
        """A measure or time word follows at line[j] (after an optional space): 3 斤, 200 人, 16 GB."""
        nxt = line[j] if j < len(line) else ""
        if nxt == " " and j + 1 < len(line):
            nxt = line[j + 1]
        return nxt in UNITS or nxt in CJK_UNITS or (bool(nxt) and self.lex.flag(nxt) in ("m", "q", "mq"))


def join_compounds(lines: list[list[str]], lex: Lexicon, cues: dict[str, float]) -> Compounds:
    """Lines of tokens with recurring compounds joined (each occurrence one token). Later rounds look only
    at what the previous round joined (Mate 60 + Pro, 端侧大模型 + 芯片). Words jieba does not know that
    recur are terms too (微博, 端侧)."""
    joiner = Joiner(lex, cues)
    result = Compounds(list(lines), joiner.weights)
    for token, uses in Counter(t for line in lines for t in line).items():
        if uses >= MIN_REPEATS and joiner.unknown(token) and not lex.weight(token):
            joiner.new_words.add(token)
            joiner.weights[token] = NEW_WORD_WEIGHT
    new: set[str] | None = None
    for _ in range(ROUNDS):
        found: Counter[str] = Counter()
        spots: list[tuple[int, int, Join]] = []
        for n, line in enumerate(result.lines):
            for i in range(len(line) - 1):
                if new is not None and line[i] not in new and line[i + 1] not in new:
                    continue
                join = joiner.at(line, i)
                if join is not None:
                    found[join.form] += 1
                    spots.append((n, i, join))
        counts = Counter(t for line in result.lines for t in line) if found else Counter()
        joins = {join.form: join for _, _, join in spots}
        new = {form for form, uses in found.items() if uses >= MIN_REPEATS
               and uses >= joins[form].share * min((counts[p] for p in joins[form].of), default=0)}
        if not new:
            break
        joiner.weights.update((form, joins[form].weight) for form in new)
        result.parts.update((form, joins[form].of) for form in new if joins[form].words)
        by_line: dict[int, list[tuple[int, Join]]] = {}
        for n, i, join in spots:
            if join.form in new:
                by_line.setdefault(n, []).append((i, join))
        for n, at in by_line.items():
            result.lines[n] = _joined(result.lines[n], at)
    return result


def _joined(line: list[str], spots: list[tuple[int, Join]]) -> list[str]:
    """`line` with the compounds at `spots` (position, join; in order) joined, the first of overlapping."""
    out: list[str] = []
    i = 0
    for at, join in spots:
        if at < i:
            continue
        out.extend(line[i:at])
        out.append(join.form)
        i = at + join.span
    out.extend(line[i:])
    return out
