"""The statement-file generator for the tests: it lives in ``ioudesk.receivables.bankfiles.samples``
(product code: the demo data uses it); the tests keep importing it from here."""

from ioudesk.receivables.bankfiles.samples import (  # noqa: F401
    BANK_NAMES,
    BUILDERS,
    DEFAULT_FORMAT,
    FIXED_DOC_TIME,
    LAYOUTS,
    NUMERIC_XLSX,
    OUR_ACCOUNTS,
    OUR_NAME,
    PAYERS,
    PLATFORMS,
    Line,
    sample_lines,
    statement_file,
    statement_filename,
    statement_rows,
)
