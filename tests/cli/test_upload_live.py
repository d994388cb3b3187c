"""`omi upload` as a script runs it: a real `omi serve` on loopback, the command in a subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live_server import live_server, omi
from tests.routers.import_files import case_row, csv_bytes

PASSWORD = "live-upload-password-1"


@dataclass
class LiveService:
    url: str
    env: dict[str, str]
    inspection_id: str


def _token(url: str, username: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": PASSWORD},
    )
    response.raise_for_status()
    return response.json()["access_token"]


def _accounts(env: dict[str, str]) -> None:
    for username, role in (("uploader1", "uploader"), ("inspector1", "probation_inspector")):
        done = omi(
            env, "users", "add", username, "--role", role, "--password-stdin", stdin=PASSWORD
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("live")
    with live_server(folder, {"OMI_ENV": "production"}, _accounts) as server:
        created = httpx.post(
            f"{server.url}/api/v1/inspections",
            headers={"Authorization": f"Bearer {_token(server.url, 'inspector1')}"},
            json={
                "programme": "pomi",
                "framework": "omi-custody-2011",
                "establishment": "durham",
                "fieldwork_start": "2011-09-12",
            },
        )
        assert created.status_code == 201, created.text
        yield LiveService(server.url, server.env, created.json()["id"])


def upload(live: LiveService, path: Path, *options: str) -> subprocess.CompletedProcess:
    env = {**live.env, "OMI_TOKEN": _token(live.url, "uploader1")}
    return omi(
        env, "upload", "--url", live.url, "--inspection", live.inspection_id, "--quiet",
        *options, str(path),
    )  # fmt: skip


def cases(live: LiveService) -> list[str]:
    response = httpx.get(
        f"{live.url}/api/v1/inspections/{live.inspection_id}/cases",
        headers={"Authorization": f"Bearer {_token(live.url, 'inspector1')}"},
    )
    return sorted(item["case_ref"] for item in response.json()["items"])


def test_a_dry_run_then_an_upload_then_a_refused_file(live: LiveService, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([case_row("LIVE-1"), case_row("LIVE-2")]))

    dry = upload(live, good, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Validated 2 rows: 2 created, 0 updated")
    assert cases(live) == []

    done = upload(live, good)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported 2 rows: 2 created, 0 updated")
    assert cases(live) == ["LIVE-1", "LIVE-2"]

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([case_row("LIVE-3", sex="unknown"), case_row("LIVE-1")]))
    refused = upload(live, bad)
    assert refused.returncode == 1
    # The row errors are printed as a table: one line per fault with its row and column.
    lines = refused.stderr.splitlines()
    assert any(" 1 " in line and "sex" in line for line in lines), refused.stderr
    assert any(" 2 " in line and "case_ref" in line for line in lines), refused.stderr
    assert cases(live) == ["LIVE-1", "LIVE-2"]


def test_a_bad_token_exits_3_and_a_missing_inspection_exits_4(
    live: LiveService, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([case_row("LIVE-9")]))
    env = {**live.env, "OMI_TOKEN": "not-a-token"}
    refused = omi(
        env, "upload", "--url", live.url, "--inspection", live.inspection_id, "--quiet", str(good)
    )
    assert refused.returncode == 3
    missing = omi(
        {**live.env, "OMI_TOKEN": _token(live.url, "uploader1")},
        "upload", "--url", live.url, "--inspection", "no-such-inspection", "--quiet", str(good),
    )  # fmt: skip
    assert missing.returncode == 4
    assert "inspection" in missing.stderr
