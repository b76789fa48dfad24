"""/api/v1/receivables: bills (应收/应付单), receipts and matching (收付款与核销), bank statement
imports, statements of account (对账单). Each part's operations live in its own module."""

from ninja import Router

from ioudesk.api.receivables_bills import router as bills_router
from ioudesk.api.receivables_imports import router as imports_router
from ioudesk.api.receivables_receipts import router as receipts_router
from ioudesk.api.receivables_statements import router as statements_router

router = Router()
router.add_router("", bills_router)
router.add_router("", receipts_router)
router.add_router("", imports_router)
router.add_router("", statements_router)
