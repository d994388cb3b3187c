"""The baseline of the load benchmark: bare FastAPI endpoints, no middleware, no database.

Served by uvicorn with the same settings as the service, so the ratio of the request
rates measures what the service adds per request (auth, database, scoring, headers).
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(title="bare", docs_url=None, redoc_url=None, openapi_url=None)
PAYLOAD = {"status": "ok", "items": [1, 2, 3]}


@app.get("/bare")
async def bare() -> dict[str, object]:
    # The ratio's baseline: on the event loop, the fastest FastAPI can answer.
    return PAYLOAD


@app.get("/bare-sync")
def bare_sync() -> dict[str, object]:
    # Like the scores endpoint, a plain def run in the thread pool; reported for comparison.
    return PAYLOAD
