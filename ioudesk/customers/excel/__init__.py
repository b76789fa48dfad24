"""Customers to and from Excel (.xlsx): the export of a filtered list, the import template, and the
import with its dry run.  No HTTP here: the back office (ioudesk/backoffice/customer_excel.py)
parses the request and renders what these functions return.

The file format is a Chinese data-exchange format whatever the user's interface language: the
column names and the choice values (个人/企业, 普通客户/重要客户/黑名单, A–E …) are fixed Chinese
strings, so a file exported or filled in by one clerk imports for every other.

Import rules (each broken rule becomes a (行号, 列, 原因) line of the report; row numbers are the
rows as Excel shows them):

* every customer is created through ``services.customer_create`` after ``customer_validate``
  (ID check digit, credit code, phone, duplicates in the database, branch scope); duplicates
  within the file itself (the same 证件号 or 手机号 twice) are refused on the later row;
* 来源渠道, 标签, 网点 and 客户经理 must exist already (an unknown name is an error, never created);
  网点 by code or name inside the user's data scope, empty means the user's own branch;
* an import only ever adds customers: it never changes or deletes one (docs/domain.md §17);
  the 客户编号 column of an exported file is ignored, numbers are always new.

Between the dry run and the confirmation the rows read from the file are kept encrypted under
``DATA_DIR/imports/<user id>-<token>.bin`` (the confirmation checks them again without reading the
.xlsx twice); the token is random, the user id is part of the name, so a user can only confirm
their own upload and never names a path.

Size: a file holds at most ``max_rows()`` data rows (IOUDESK_IMPORT_MAX_ROWS, 50,000), reading
stops after BLANK_ROWS_STOP consecutive blank rows, and a file of more than
``background.background_rows()`` rows (or an upload over BACKGROUND_BYTES) is checked and imported
by the background worker with a progress bar (background.py).
"""


from ioudesk.customers.excel.columns import (
    ACCOUNT,
    ACQUIRED,
    ADDRESS,
    BACKGROUND_BYTES,
    BACKGROUND_ROWS,
    BANK,
    BLANK_ROWS_STOP,
    BRANCH,
    CATEGORIES,
    CATEGORY,
    EMPLOYER,
    EXPORT_CHUNK,
    EXPORT_COLUMNS,
    GRADE,
    GRADES,
    ID,
    IMPORT_COLUMNS,
    INDUSTRY,
    KIND,
    KINDS,
    MARITAL,
    MARITAL_STATUSES,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MONEY,
    NAME,
    NOTES,
    NUMBER,
    OWNER,
    PHONE,
    SOURCE,
    STAGED_HOURS,
    TAG_SEPARATORS,
    TAGS,
    TEXT_COLUMNS,
    TOKEN_RE,
    WIDTHS,
    ImportFileError,
    ImportMode,
)
from ioudesk.customers.excel.export import Export, customers_export
from ioudesk.customers.excel.importing import (
    DUPLICATE_COLUMNS,
    CheckedRow,
    ImportCheck,
    ImportResult,
    ParsedFile,
    RowError,
    check_upload,
    customers_import,
    customers_import_check,
    max_rows,
    read_import_file,
)
from ioudesk.customers.excel.staging import StagedFile, import_peek, import_stage, import_take
from ioudesk.customers.excel.template import EXAMPLES, GUIDE, import_template

__all__ = ['ACCOUNT', 'ACQUIRED', 'ADDRESS', 'BACKGROUND_BYTES', 'BACKGROUND_ROWS', 'BANK', 'BLANK_ROWS_STOP', 'BRANCH', 'CATEGORIES', 'CATEGORY', 'CheckedRow', 'DUPLICATE_COLUMNS', 'EMPLOYER', 'EXAMPLES', 'EXPORT_CHUNK', 'EXPORT_COLUMNS', 'Export', 'GRADE', 'GRADES', 'GUIDE', 'ID', 'IMPORT_COLUMNS', 'INDUSTRY', 'ImportCheck', 'ImportFileError', 'ImportMode', 'ImportResult', 'ParsedFile', 'KIND', 'KINDS', 'MARITAL', 'MARITAL_STATUSES', 'MAX_ROWS', 'MAX_UPLOAD_BYTES', 'MONEY', 'NAME', 'NOTES', 'NUMBER', 'OWNER', 'PHONE', 'RowError', 'SOURCE', 'STAGED_HOURS', 'StagedFile', 'TAGS', 'TAG_SEPARATORS', 'TEXT_COLUMNS', 'TOKEN_RE', 'WIDTHS', 'check_upload', 'customers_export', 'customers_import', 'customers_import_check', 'import_peek', 'import_stage', 'import_take', 'import_template', 'max_rows', 'read_import_file']
