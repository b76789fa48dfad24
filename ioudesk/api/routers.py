"""Every area's router, mounted under /api/v1 in this order."""

from ioudesk.api.applications import router as applications_router
from ioudesk.api.approvals import router as approvals_router
from ioudesk.api.calc import router as calc_router
from ioudesk.api.closing import router as closing_router
from ioudesk.api.collections import router as collections_router
from ioudesk.api.customers import router as customers_router
from ioudesk.api.ious import router as ious_router
from ioudesk.api.legal import router as legal_router
from ioudesk.api.me import router as me_router
from ioudesk.api.messages import router as messages_router
from ioudesk.api.receivables import router as receivables_router
from ioudesk.api.reports import router as reports_router

ROUTERS = [
    ("/me", me_router),
    ("/calc", calc_router),
    ("/customers", customers_router),
    ("/ious", ious_router),
    ("/close-runs", closing_router),
    ("/messages", messages_router),
    ("/collections", collections_router),
    ("/legal", legal_router),
    ("/approvals", approvals_router),
    ("/applications", applications_router),
    ("/receivables", receivables_router),
    ("/reports", reports_router),
]
