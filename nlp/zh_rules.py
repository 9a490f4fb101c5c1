"""Rules that bring a Chinese tagger's spans to the conventions of Chinese news annotation.

LAC (like most Chinese taggers) was trained on conventions that differ from how news corpora in the
People's Daily tradition mark names, and it glues neighbouring words to names. These rules are
general, about kinds of words, not about particular sentences:

- one-character country abbreviations in compounds are places each: 中美 is 中 + 美, 访华 has 华,
  中方 and 美军 have 中 and 美;
- a title or form of address is not part of a person's name: 陈先生 → 陈, 小俊平 → 俊平;
  foreign names written with a middle dot are one name (差猜·春哈旺);
- a government is its country: 中国政府 → 中国 (a place); a direction or weather word glued to a
  place is cut off: 新疆北部 → 新疆, 悉尼多云 → 悉尼;
- a place followed by the head noun of an organisation, or by an organisation, is that
  organisation: 中国队, 郑州分局, 古巴代表团, 印尼农业部; museums and halls are places (中国美术馆);
  地区 after a place name is not part of it;
- short party and government committees (市委, 县委, 乡党委, 村委会) are organisations; a
  one-character organisation (电 after a dateline) is a misreading.

Input and output are (start, end, label) spans with project labels (PERSON, GPE, ORG) over the text.
"""

from __future__ import annotations

import re

# Untagged pairs are split only when both halves are countries and cannot be read otherwise
# (加以, 以南 and 西南 are ordinary words).
_FIRST_OF_PAIR = set("中美日俄英法德韩朝印越泰")
_SECOND_OF_PAIR = set("中美日俄英法德意印巴朝韩越泰澳加葡荷以埃欧墨古")
_HUA_VERBS = ("访华", "来华", "在华", "驻华", "对华", "反华", "离华", "抵华", "援华", "侵华", "旅华", "赴华")
PERSON_TITLES = ("先生", "小姐", "女士", "太太", "夫人", "同志", "老师", "师傅", "大娘", "大爷", "大妈", "大姐",
                 "大哥", "大嫂", "大叔", "阿姨", "老汉", "老伯", "天皇", "教授", "博士", "院士", "主席", "总统",
                 "总理", "首相", "外长", "部长", "书记", "省长", "市长", "县长", "局长", "厂长", "经理", "老总",
                 "老", "总", "某", "氏")
PERSON_PREFIXES = ("小", "老")
PLACE_TAILS = ("地区", "东北部", "西北部", "东南部", "西南部", "北部", "南部", "东部", "西部", "中部", "一带", "境内",
               "多云", "阵雨", "雷阵雨", "小雨", "中雨", "大雨", "暴雨", "小雪", "中雪", "大雪", "晴", "阴", "雾")
PLACE_HEADS = ("博物馆", "美术馆", "纪念馆", "展览馆", "大会堂", "广场", "机场", "车站", "火车站")
ORG_HEADS = ("男子网球队", "女子网球队", "国家队", "青年队", "男队", "女队", "代表团", "代表队", "考察团", "访问团",
             "队", "分局", "总公司", "公司", "集团", "交警", "公安局", "人民法院", "法院", "检察院", "大学",
             "学院", "中学", "小学", "医院", "银行", "电视台", "电台", "日报", "晚报", "报社", "委员会",
             "政协", "人大", "市委", "省委", "县委", "党委", "军区", "舰队")
_COMMITTEES = re.compile(r"^(?:[省市县区乡镇村地州团]|团县|团市|乡党|镇党|村党)?(?:委|党委|委会|人大|政协)$")
_MIDDLE_DOT = "·•"


def apply(text: str, spans: list[tuple[int, int, str]], words) -> list[tuple[int, int, str]]:
    """`spans` from a tagger whose (word, tag) sequence `words` covers `text`, brought to the
    conventions above."""
    sides = _country_sides(words)
    spans = sorted(s for s in spans if not any(a < s[1] and s[0] < b for a, b, _ in sides))
    spans = _join_dotted_names(text, spans)
    out: list[tuple[int, int, str]] = list(sides)
    for start, end, label in spans:
        if label == "ORG" and end - start == 1:
            continue  # a one-character organisation is a misreading (电 after a dateline)
        out.extend(_fix_span(text, start, end, label))
    out = _places_with_org_heads(text, out)
    taken = [False] * len(text)
    for start, end, _ in out:
        taken[start:end] = [True] * (end - start)
    pos = 0
    for word, _tag in words:
        start, end = pos, pos + len(word)
        pos = end
        if any(taken[start:end]):
            continue
        out.extend(_abbreviations(text, word, start))
        if _COMMITTEES.match(word):
            out.append((start, end, "ORG"))
    return sorted(set(out))


def _country_sides(words) -> list[tuple[int, int, str]]:
    """中方, 美方, 巴方, 美军: the side or the forces of a country; its one-character name is a place."""
    out, pos = [], 0
    for word, _tag in words:
        if len(word) == 2 and word[1] in "方军" and word[0] in _SECOND_OF_PAIR:
            out.append((pos, pos + 1, "GPE"))
        pos += len(word)
    return out


def _fix_span(text: str, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
    word = text[start:end]
    if label == "GPE" and _country_pair(word):
        return [(start + i, start + i + 1, "GPE") for i in range(len(word))]
    if label == "PERSON":
        for title in PERSON_TITLES:
            if word.endswith(title) and len(word) > len(title):
                end -= len(title)
                word = word[:-len(title)]
                break
        if word[:1] in PERSON_PREFIXES and len(word) >= 2 and word not in ("小平",):
            start += 1
        return [(start, end, label)] if end > start else []
    if label == "ORG" and word.endswith("政府") and len(word) > 3:
        return [(start, end - 2, "GPE")]
    if label == "GPE" and len(word) > 2 and word.endswith(ORG_HEADS + ("厂", "总厂")):
        return [(start, end, "ORG")]  # 中国男队, 衡阳有色冶金机械总厂: named for a place, but an organisation
    if label == "ORG" and word.endswith(PLACE_HEADS):
        return [(start, end, "GPE")]  # 中国美术馆: a building, which news annotation marks as a place
    if label == "GPE":
        for tail in PLACE_TAILS:
            if word.endswith(tail) and len(word) - len(tail) >= 2:
                return [(start, end - len(tail), label)]
    return [(start, end, label)]


def _join_dotted_names(text: str, spans):
    """PER · PER (a foreign name LAC split at its middle dot) as one person."""
    out = []
    for span in spans:
        if out and out[-1][2] == "PERSON" and span[2] == "PERSON" and span[0] == out[-1][1] + 1 \
                and text[out[-1][1]] in _MIDDLE_DOT:
            out[-1] = (out[-1][0], span[1], "PERSON")
        else:
            out.append(span)
    return out


def _places_with_org_heads(text: str, spans):
    """A place directly followed by an organisation's head noun, or by an organisation, becomes
    that organisation (古巴代表团, 印尼农业部: one name, as news annotation marks it)."""
    merged = []
    for span in sorted(spans):
        if merged and merged[-1][2] == "GPE" and span[2] == "ORG" and span[0] == merged[-1][1]:
            merged[-1] = (merged[-1][0], span[1], "ORG")
        else:
            merged.append(span)
    spans = merged
    out = []
    for start, end, label in spans:
        if label == "GPE":
            rest = text[end:end + 6]
            for head in ORG_HEADS:
                if rest.startswith(head):
                    nxt = end + len(head)
                    if not any(s < nxt and end < e for s, e, _ in spans):
                        start, end, label = start, nxt, "ORG"
                    break
        out.append((start, end, label))
    return out


def _abbreviations(text: str, word: str, start: int):
    """One-character country abbreviations inside words the tagger did not mark as names."""
    if word in _HUA_VERBS:
        return [(start + 1, start + 2, "GPE")]
    if _country_pair(word):
        return [(start + i, start + i + 1, "GPE") for i in range(len(word))]
    return []


def _country_pair(word: str) -> bool:
    """中美, 美中, 日俄, 中英法: two or three one-character country names (not 古巴 or 巴西)."""
    return (2 <= len(word) <= 3 and word[0] in _FIRST_OF_PAIR and all(c in _SECOND_OF_PAIR for c in word[1:])
            and len(set(word)) == len(word))
