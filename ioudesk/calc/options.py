"""Choices spelled by users (还款方式, 还款频率, 计息天数规则 …): one way to read them and one way
to refuse them.

>>> from ioudesk.calc.dates import BusinessDay
>>> BusinessDay.parse(" Following ")
<BusinessDay.FOLLOWING: 'following'>
>>> BusinessDay.parse("next")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidOption: 不支持的节假日调整方式“next”，请选择：none、following、preceding
"""

from enum import Enum

from ioudesk.calc.errors import InvalidOption


class Option(Enum):
    """An Enum read from text. Subclasses name the choice (`what`) and may widen what matches."""

    @classmethod
    def what(cls) -> str:
        raise NotImplementedError

    @classmethod
    def normalise(cls, text: str) -> str:
        return text.strip().lower()

    def spellings(self) -> tuple[str, ...]:
        return (self.value,)

    def shown(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text):
        if isinstance(text, cls):
            return text
        key = cls.normalise(str(text))
        for member in cls:
            if key in member.spellings():
                return member
        allowed = "、".join(member.shown() for member in cls)
        raise InvalidOption(f"不支持的{cls.what()}“{text}”，请选择：{allowed}")
