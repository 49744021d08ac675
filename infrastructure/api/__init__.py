"""The HTTP API: FastAPI routers over the governance application, bearer tokens, problem+json errors."""
