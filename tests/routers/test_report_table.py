"""The Second Aggregate Report's table, reproduced by the pooled aggregate of its 220 cases.

The eleven inspections and their cases are uploaded through the API, as an inspector's
team would; the pooled aggregate must then give the report's whole-number percentages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.data.second_aggregate_report import (
    ESTABLISHMENTS,
    EXPECTED,
    OFFENDING_FACTORS_PROGRESS,
    PPO_CASES,
    build_cases,
    fieldwork_start,
)

Auth = Callable[..., dict[str, str]]


def upload_report_sample(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Plan the eleven inspections, start their fieldwork, and bulk-upload their twenty cases each."""
    ids = []
    for establishment, cases in build_cases().items():
        created = client.post(
            "/api/v1/inspections",
            json={
                "programme": "pomi",
                "framework": "omi-custody-2011",
                "establishment": establishment,
                "fieldwork_start": fieldwork_start(establishment).isoformat(),
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        inspection = created.json()["id"]
        moved = client.post(
            f"/api/v1/inspections/{inspection}/transitions",
            json={"to": "fieldwork"},
            headers=headers,
        )
        assert moved.status_code == 200, moved.text
        uploaded = client.post(
            f"/api/v1/inspections/{inspection}/case-imports",
            content="\n".join(json.dumps(case) for case in cases).encode(),
            headers={**headers, "Content-Type": "application/x-ndjson"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["created"] == 20
        ids.append(inspection)
    return ids


@pytest.fixture
def pooled(client: TestClient, auth: Auth) -> dict[str, Any]:
    upload_report_sample(client, auth("probation_inspector"))
    response = client.get(
        "/api/v1/aggregates", params={"framework": "omi-custody-2011"}, headers=auth("analyst")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["rows"]) == 1
    return body["rows"][0]


def case_file(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    block = next(i for i in row["instruments"] if i["code"] == "case_file")
    return {q["code"]: q for q in block["questions"]}


def whole(value: float) -> int:
    """A one-decimal percent to the whole number the report prints (halves up)."""
    return int(value + 0.5)


def test_the_pooled_aggregate_reproduces_the_report(pooled: dict[str, Any]) -> None:
    assert pooled["group"] == {}
    assert (pooled["inspections"], pooled["cases"]) == (len(ESTABLISHMENTS), 220)
    questions = case_file(pooled)
    assert len(EXPECTED) >= 25
    printed = {
        figure.question: (whole(questions[figure.question]["percent"]), figure.percent)
        for figure in EXPECTED
    }
    assert {code: got for code, (got, _) in printed.items()} == {
        code: want for code, (_, want) in printed.items()
    }
    for figure in EXPECTED:
        if figure.relevant is not None:
            assert questions[figure.question]["relevant"] == figure.relevant
        if figure.no is not None:
            assert questions[figure.question]["no"] == figure.no


def test_the_ppo_base_and_the_progress_distribution(pooled: dict[str, Any]) -> None:
    questions = case_file(pooled)
    ppo = questions["ppo_interventions_delivered"]
    assert ppo["relevant"] == PPO_CASES == 33
    assert (ppo["yes"], whole(ppo["percent"])) == (12, 36)
    # 4.23 as shares of all 220 cases.
    distribution = questions["offending_factors_progress"]["distribution"]
    shares = {value: whole(100 * count / 220) for value, count in distribution.items()}
    assert {k: shares[k] for k in OFFENDING_FACTORS_PROGRESS} == OFFENDING_FACTORS_PROGRESS


def test_by_establishment_the_rows_add_up_to_the_pool(
    client: TestClient, auth: Auth, pooled: dict[str, Any]
) -> None:
    response = client.get(
        "/api/v1/aggregates",
        params={"framework": "omi-custody-2011", "group_by": "establishment"},
        headers=auth("analyst"),
    )
    rows = response.json()["rows"]
    assert [row["group"]["establishment"] for row in rows] == sorted(
        ESTABLISHMENTS,
        key=lambda code: next(
            r["label"] for r in rows if r["group"]["establishment"] == code
        ).lower(),
    )
    assert all((row["inspections"], row["cases"]) == (1, 20) for row in rows)
    pool = case_file(pooled)
    for code in ("rmp_sufficient", "sentence_plan_completed", "ppo_interventions_delivered"):
        assert sum(case_file(row)[code]["yes"] for row in rows) == pool[code]["yes"]
        assert sum(case_file(row)[code]["relevant"] for row in rows) == pool[code]["relevant"]
        percents = [case_file(row)[code]["percent"] for row in rows]
        scored = [p for p in percents if p is not None]
        expected_mean = sum(scored) / len(scored)
        assert pool[code]["mean_of_inspections"] == pytest.approx(expected_mean, abs=0.051)
        assert pool[code]["inspections_scored"] == len(scored)
