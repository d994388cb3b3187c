"""Racing generations and publications leave one letter per trust, and one published."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete as sql_delete
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth.security import issue_token
from app.main import create_app
from app.models import AuditEvent, FindingsLetter, Inspection, UserAccount
from app.models.inspection import InspectionStatus
from app.models.letter import LetterStatus
from tests.builders import make_case, make_inspection
from tests.conftest import backend

TRUSTS = ("durham-tees-valley", "northumbria")


def test_the_database_refuses_a_second_draft_or_published_letter(session):
    inspection = make_inspection(session)
    for status in (LetterStatus.draft, LetterStatus.published):
        first = FindingsLetter(
            inspection_id=inspection.id,
            trust_code=TRUSTS[0],
            status=status,
            version=1 if status is LetterStatus.draft else 2,
            content={},
        )
        twin = FindingsLetter(
            inspection_id=inspection.id,
            trust_code=TRUSTS[0],
            status=status,
            version=3 if status is LetterStatus.draft else 4,
            content={},
        )
        session.add(first)
        session.flush()
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(twin)
            session.flush()
    # A superseded letter beside a published one is what a correction leaves: allowed.
    session.add(
        FindingsLetter(
            inspection_id=inspection.id,
            trust_code=TRUSTS[0],
            status=LetterStatus.superseded,
            version=5,
            content={},
        )
    )
    session.flush()


@pytest.fixture
def committed_inspection(engine):
    """An inspection with two eligible trusts and an admin, really committed, so that each
    request runs on its own connection and transaction; removed afterwards."""
    with Session(engine) as setup:
        inspection = make_inspection(setup, status=InspectionStatus.fieldwork)
        number = 0
        for trust in TRUSTS:
            for _ in range(10):
                number += 1
                make_case(
                    setup,
                    inspection,
                    f"R-{number:03d}",
                    {"rmp_sufficient": "yes"},
                    home_trust=trust,
                )
        user = UserAccount(username=f"race-{inspection.id}", password_hash="x", roles=["admin"])
        setup.add(user)
        setup.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
        world = {
            "inspection": inspection.id,
            "user": user.id,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    yield world
    with Session(engine) as cleanup:
        # The inspection's cases and letters go with it (ON DELETE CASCADE): the shared test
        # database must not keep published letters that later tests would see.
        cleanup.exec(sql_delete(Inspection).where(Inspection.id == world["inspection"]))
        cleanup.commit()
    if backend() == "postgresql":
        with Session(engine) as cleanup:
            # The audit log refuses deletes by trigger; the owner switches them off here only,
            # in a transaction of their own (replica mode would skip the cascades above too).
            cleanup.exec(text("SET LOCAL session_replication_role = replica"))
            cleanup.exec(sql_delete(AuditEvent).where(AuditEvent.actor == f"user:{world['user']}"))
            cleanup.exec(sql_delete(UserAccount).where(UserAccount.id == world["user"]))
            cleanup.commit()
    else:
        with Session(engine) as cleanup:
            cleanup.exec(sql_delete(UserAccount).where(UserAccount.id == world["user"]))
            cleanup.commit()


def _race(calls: list) -> list[int]:
    """Start every call at once (a barrier), wait for all, return their status codes."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]().status_code

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _letters(engine, inspection_id: str) -> list[FindingsLetter]:
    with Session(engine) as reader:
        return list(
            reader.exec(
                select(FindingsLetter).where(FindingsLetter.inspection_id == inspection_id)
            ).all()
        )


@pytest.mark.postgres_only
@pytest.mark.skipif(backend() != "postgresql", reason="racing transactions need PostgreSQL")
def test_racing_generations_and_publications_leave_one_letter_each(engine, committed_inspection):
    who = committed_inspection["headers"]
    url = f"/api/v1/inspections/{committed_inspection['inspection']}/findings-letters"
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        codes = _race([lambda: client.post(url, headers=who) for _ in range(8)])
        assert codes == [201] * 8
        drafts = _letters(engine, committed_inspection["inspection"])
        assert sorted(letter.trust_code for letter in drafts) == sorted(TRUSTS)
        assert {letter.version for letter in drafts} == {1}

        target = next(letter for letter in drafts if letter.trust_code == TRUSTS[0])
        publish = f"/api/v1/findings-letters/{target.id}/publish"
        codes = _race([lambda: client.post(publish, headers=who) for _ in range(4)])
        assert sorted(codes) == [200, 409, 409, 409]

        # A correction drafted and published while another generation races it.
        codes = _race([lambda: client.post(url, headers=who) for _ in range(4)])
        assert codes == [201] * 4
        letters = _letters(engine, committed_inspection["inspection"])
        own = [letter for letter in letters if letter.trust_code == TRUSTS[0]]
        assert sorted((letter.status, letter.version) for letter in own) == [
            ("draft", 2),
            ("published", 1),
        ]
        correction = next(letter for letter in own if letter.status == LetterStatus.draft)
        codes = _race(
            [
                lambda: client.post(
                    f"/api/v1/findings-letters/{correction.id}/publish", headers=who
                )
                for _ in range(3)
            ]
        )
        assert sorted(codes) == [200, 409, 409]
        own = [
            letter
            for letter in _letters(engine, committed_inspection["inspection"])
            if letter.trust_code == TRUSTS[0]
        ]
        assert sorted((letter.status, letter.version) for letter in own) == [
            ("published", 2),
            ("superseded", 1),
        ]
        old = next(letter for letter in own if letter.status == LetterStatus.superseded)
        assert old.superseded_by_id == correction.id
