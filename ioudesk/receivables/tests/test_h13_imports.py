"""Product code of the receivables app never imports a tests module (the demo's statement files come
from ``bankfiles.samples``), and the tests' old import path still gives the same generator."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1]  # ioudesk/receivables/


def test_h13_no_product_module_imports_tests():
    offenders = []
    for path in APP.rglob("*.py"):
        if "tests" in path.relative_to(APP).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"^\s*(from|import)\s+ioudesk\.\w+\.tests\b", line):
                offenders.append(f"{path.relative_to(APP)}:{number}: {line.strip()}")
    assert offenders == []


def test_h13_tests_bankfiles_is_the_samples_module():
    from ioudesk.receivables.bankfiles import samples
    from ioudesk.receivables.tests import bankfiles

    assert bankfiles.statement_file is samples.statement_file and bankfiles.Line is samples.Line
    assert bankfiles.sample_lines is samples.sample_lines and bankfiles.LAYOUTS == samples.LAYOUTS
