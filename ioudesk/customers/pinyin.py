"""Pinyin for search: 张三 is found by "zhangsan" and by "zs".

pypinyin reads characters as in ordinary words; some characters read differently as surnames
(单 is Shàn, 曾 is Zēng, 解 is Xiè), so a person's first character is read as a surname.
"""

from pypinyin import lazy_pinyin

SURNAMES = {
    "单": ["shan"], "曾": ["zeng"], "解": ["xie"], "仇": ["qiu"], "朴": ["piao"], "查": ["zha"], "区": ["ou"],
    "盖": ["ge"], "乐": ["yue"], "覃": ["qin"], "尉": ["yu"], "秘": ["bi"], "翟": ["zhai"], "种": ["chong"],
    "缪": ["miao"], "召": ["shao"], "折": ["she"], "重": ["chong"], "任": ["ren"], "谌": ["chen"], "员": ["yun"],
    "贲": ["ben"], "长孙": ["zhang", "sun"], "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "单于": ["chan", "yu"],
}


def _syllables(name: str, *, person: bool) -> list[str]:
    """Pinyin syllables; letters and digits pass through one character at a time."""
    text = "".join(name.split())
    head: list[str] = []
    if person:
        for surname in sorted(SURNAMES, key=len, reverse=True):
            if text.startswith(surname):
                head, text = SURNAMES[surname], text[len(surname):]
                break
    rest = lazy_pinyin(text, errors=lambda chars: [c for c in chars if c.isalnum()])
    return head + [s.lower() for s in rest if s.strip()]


def name_pinyin(name: str, *, person: bool = True) -> tuple[str, str]:
    """(full pinyin, initials), lowercase, without spaces.

    >>> name_pinyin("张三")
    ('zhangsan', 'zs')
    >>> name_pinyin("曾小贤")
    ('zengxiaoxian', 'zxx')
    >>> name_pinyin("单田芳")
    ('shantianfang', 'stf')
    >>> name_pinyin("长孙无忌")
    ('zhangsunwuji', 'zswj')
    >>> name_pinyin("重庆长安AB汽车", person=False)
    ('chongqingchanganabqiche', 'cqcaabqc')
    """
    syllables = _syllables(name, person=person)
    return "".join(syllables)[:300], "".join(s[0] for s in syllables)[:100]
