"""(being written: see docs/architecture.md, 报表)"""


def register() -> None:
    pass
