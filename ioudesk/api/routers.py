"""Every area's router, mounted under /api/v1 in this order."""

from ioudesk.api.me import router as me_router

ROUTERS = [
    ("/me", me_router),
]
