"""The cases' routers, for queueing's app (services/queueing/api.py appends them)."""

from services.queueing.cases import page, routes

ROUTERS = (routes.staff, routes.citizens, page.router)
