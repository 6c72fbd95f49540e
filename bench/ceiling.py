"""The ceilings bench/monitoring.py compares the monitoring service with, on the same uvicorn.

`/raw` reads the body and answers, as cheaply as the server allows; `/validate` is a FastAPI route
that parses the body into the same MetricBatch contract and answers, without evaluating anything.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response

from pacs_contracts.api import MetricBatch

app = FastAPI()
ACCEPTED = b'{"accepted":0}'


@app.post("/raw")
async def raw(request: Request) -> Response:
    await request.body()
    return Response(ACCEPTED, status_code=202, media_type="application/json")


@app.post("/validate", status_code=202)
async def validate(batch: MetricBatch) -> dict[str, Any]:
    return {"accepted": len(batch.samples)}
