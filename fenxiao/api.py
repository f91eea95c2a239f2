"""The JSON API (Django Ninja).  Each domain app contributes a router from its ``api.py``."""

from ninja import NinjaAPI

from fenxiao.catalog.api import router as catalog_router

api = NinjaAPI(title="fenxiao API", version="1", urls_namespace="api")
api.add_router("/console/", catalog_router)
