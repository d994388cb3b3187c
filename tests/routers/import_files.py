"""Small upload files for the import tests."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from app.models import Inspection

HEADER = [
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "sentence_months",
    "rosh",
    "ppo",
    "sentence_date",
    "rmp_sufficient",
    "sp_roh_objectives",
    "ppo_interventions_delivered",
    "offending_factors_progress",
    "osi_supervision_frequency",
]

# A high Risk of Harm PPO: every question in HEADER may be answered yes or no.
GOOD: dict[str, str] = {
    "case_ref": "C1",
    "home_trust": "durham-tees-valley",
    "sex": "male",
    "age_at_sentence": "30",
    "sentence_type": "determinate",
    "sentence_months": "48",
    "rosh": "high",
    "ppo": "true",
    "sentence_date": "2010-06-01",
    "rmp_sufficient": "yes",
    "sp_roh_objectives": "no",
    "ppo_interventions_delivered": "na",
    "offending_factors_progress": "some",
    "osi_supervision_frequency": "",
}


def case_row(case_ref: str, **changes: str) -> dict[str, str]:
    return {**GOOD, "case_ref": case_ref, **changes}


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    header = header or HEADER
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return buffer.getvalue().encode()


def ndjson_bytes(objects: list[Any]) -> bytes:
    return "".join(json.dumps(item) + "\n" for item in objects).encode()


def post_import(
    client: TestClient,
    inspection: Inspection | str,
    body: bytes,
    headers: dict[str, str],
    *,
    content_type: str = "text/csv",
    kind: str = "case-imports",
    **params: str,
) -> Response:
    inspection_id = inspection if isinstance(inspection, str) else inspection.id
    return client.post(
        f"/api/v1/inspections/{inspection_id}/{kind}",
        content=body,
        params=params,
        headers={**headers, "Content-Type": content_type},
    )


def faults_of(response: Response) -> list[tuple[int, str | None, str]]:
    """(row, column, code) of each error, in the order given."""
    return [(error["row"], error["column"], error["code"]) for error in response.json()["errors"]]
