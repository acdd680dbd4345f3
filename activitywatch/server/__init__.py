"""The HTTP API (`/api/0`): an ASGI app on Starlette, served by uvicorn in a background thread."""
