"""The change feed on PostgreSQL: cached reads with no round trip, and never stale for long.

These tests commit for real, in a database of their own, with two engines: the app's,
and `elsewhere`, which stands for another process of the service writing to the same
database. The rest of the suite runs with the feed off, where readers check the
database on every read.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from app import changes, config, db
from app.auth.accounts import first_honoured_second
from app.auth.permissions import Principal, Role
from app.auth.security import issue_token
from app.migrate import upgrade
from app.models import Establishment, FindingsLetter, Inspection, UserAccount
from app.models.base import utcnow
from app.models.reference import EstablishmentType
from app.services.frameworks import service as frameworks
from app.services.letters import service as letters
from app.services.reference.loader import load_reference_data, read_reference
from tests.builders import approve_all, make_case, make_inspection
from tests.conftest import _create_pg_database, backend
from tests.reliability.tcp_proxy import TcpProxy
from tests.routers.support import CASE_BODY

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(backend() != "postgresql", reason="notifications need PostgreSQL"),
]
ACTOR = Principal(id="feed-test", kind="system", name="feed-test", roles=frozenset({Role.admin}))


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url, drop = _create_pg_database()
    upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        patch.setenv("CHANGE_FEED", "true")
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
        try:
            yield url
        finally:
            db.get_engine().dispose()
            db.get_engine.cache_clear()
    config.get_settings.cache_clear()
    drop()


@pytest.fixture(scope="module")
def elsewhere(database: str) -> Iterator[Engine]:
    engine = db.build_engine(database)

    # This engine stands for another process: its commits must not pass for this
    # process's own (app/changes.py marks every engine's writes), or a test of a
    # notification would pass without one.
    @event.listens_for(engine, "after_cursor_execute")
    def _written_by_another_process(connection: Any, *_: Any) -> None:
        connection.info.pop("wrote", None)

    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def client(elsewhere: Engine) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        assert changes.wait_until_live(), "the change feed's listener did not connect"
        yield test_client


class Statements:
    """Statements the app's engine sends while counting."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.texts: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        self.texts.append(statement)

    def reset(self) -> None:
        self.count = 0
        self.texts.clear()

    def touching(self, table: str) -> list[str]:
        return [statement for statement in self.texts if table in statement]


@pytest.fixture
def statements(client: TestClient) -> Iterator[Statements]:
    seen = Statements(db.get_engine())
    yield seen
    seen.stop()


def account(engine: Engine, role: str, trust: str | None = None) -> tuple[str, dict[str, str]]:
    with Session(engine) as session:
        user = UserAccount(
            username=f"{role}-{uuid.uuid4().hex[:8]}",
            password_hash="-",
            roles=[role],
            trust_code=trust,
        )
        session.add(user)
        session.commit()
        token, _ = issue_token(f"user:{user.id}", [role], trust)
        return user.id, {"Authorization": f"Bearer {token}"}


def inspection_with_cases(engine: Engine, cases: int) -> str:
    with Session(engine) as session:
        # Each test's own inspection: the database is shared by the module's tests.
        inspection = make_inspection(session, fieldwork_start=date(2011, 9, 12))
        for number in range(cases):
            make_case(session, inspection, f"F{number:03d}", {"rmp_sufficient": "yes"})
        session.commit()
        return inspection.id


def add_case(engine: Engine, inspection_id: str, case_ref: str) -> None:
    with Session(engine) as session:
        inspection = session.get(Inspection, inspection_id)
        assert inspection is not None
        make_case(session, inspection, case_ref, {"rmp_sufficient": "no"})
        session.commit()


def eventually(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    """Whether the check comes true within the time: a notification crosses processes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_a_kept_scores_document_is_served_with_no_round_trip(client, elsewhere, statements):
    _, inspector = account(elsewhere, "probation_inspector")
    path = f"/api/v1/inspections/{inspection_with_cases(elsewhere, 2)}/scores"
    first = client.get(path, headers=inspector)
    assert first.status_code == 200 and first.json()["cases"] == 2
    statements.count = 0
    again = client.get(path, headers=inspector)
    conditional = client.get(path, headers={**inspector, "If-None-Match": first.headers["etag"]})
    assert again.content == first.content and conditional.status_code == 304
    assert statements.count == 0


def test_a_write_elsewhere_reaches_the_next_reads(client, elsewhere):
    _, inspector = account(elsewhere, "probation_inspector")
    inspection = inspection_with_cases(elsewhere, 2)
    path = f"/api/v1/inspections/{inspection}/scores"
    assert client.get(path, headers=inspector).json()["cases"] == 2
    add_case(elsewhere, inspection, "F900")
    assert eventually(lambda: client.get(path, headers=inspector).json()["cases"] == 3)


def test_a_write_here_is_read_back_at_once(client, elsewhere):
    _, inspector = account(elsewhere, "probation_inspector")
    _, admin = account(elsewhere, "admin")
    inspection = inspection_with_cases(elsewhere, 2)
    path = f"/api/v1/inspections/{inspection}/scores"
    assert client.get(path, headers=inspector).json()["cases"] == 2
    case = {**CASE_BODY, "case_ref": "F901"}
    created = client.post(f"/api/v1/inspections/{inspection}/cases", json=case, headers=admin)
    assert created.status_code == 201, created.text
    # No waiting: this process's own commit made what it kept stale.
    assert client.get(path, headers=inspector).json()["cases"] == 3


def test_an_account_disabled_elsewhere_is_refused(client, elsewhere):
    user_id, inspector = account(elsewhere, "probation_inspector")
    path = f"/api/v1/inspections/{inspection_with_cases(elsewhere, 1)}/scores"
    assert client.get(path, headers=inspector).status_code == 200
    with Session(elsewhere) as session:
        user = session.get(UserAccount, user_id)
        assert user is not None
        user.disabled = True
        session.add(user)
        session.commit()
    assert eventually(lambda: client.get(path, headers=inspector).status_code == 401)


def test_a_trust_poll_is_answered_304_with_no_round_trip_until_a_letter_changes(
    client, elsewhere, statements
):
    _, trust = account(elsewhere, "trust", "durham-tees-valley")
    inspection_id = inspection_with_cases(elsewhere, 10)

    def publish_letters() -> None:
        with Session(elsewhere) as session:
            inspection = session.get(Inspection, inspection_id)
            assert inspection is not None
            approve_all(session, inspection)
            for letter in letters.generate(session, ACTOR, inspection):
                letters.publish(session, ACTOR, letter)
            session.commit()

    publish_letters()
    listing = client.get("/api/v1/findings-letters", headers=trust)
    assert listing.json()["total"] == 1
    poll = {**trust, "If-None-Match": listing.headers["etag"]}
    statements.count = 0
    assert client.get("/api/v1/findings-letters", headers=poll).status_code == 304
    assert statements.count == 0
    publish_letters()  # a corrected version supersedes the first
    assert eventually(
        lambda: client.get("/api/v1/findings-letters", headers=poll).status_code == 200
    )
    with Session(elsewhere) as session:
        versions = session.exec(select(FindingsLetter.version)).all()
    assert sorted(versions) == [1, 2]


def test_a_listener_that_lost_its_connection_vouches_for_nothing_kept_before(
    client, elsewhere, statements
):
    _, inspector = account(elsewhere, "probation_inspector")
    path = f"/api/v1/inspections/{inspection_with_cases(elsewhere, 1)}/scores"
    client.get(path, headers=inspector)
    kept = changes.feed.token(changes.ACCOUNTS)
    with elsewhere.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"
            ),
            {"name": changes.APPLICATION},
        )
        connection.commit()
    # The listener reconnects; whatever was kept under the old connection is stale.
    assert eventually(lambda: changes.feed.token(changes.ACCOUNTS) not in (None, kept), 15)
    statements.count = 0
    assert client.get(path, headers=inspector).status_code == 200
    assert statements.count > 0


def test_a_kept_principal_refuses_tokens_from_before_a_revocation_with_no_round_trip(
    client, elsewhere, statements
):
    user_id, old = account(elsewhere, "probation_inspector")
    path = f"/api/v1/inspections/{inspection_with_cases(elsewhere, 1)}/scores"
    assert client.get(path, headers=old).status_code == 200
    # Another process gives the account a new password: every token issued so far dies.
    with Session(elsewhere) as session:
        user = session.get(UserAccount, user_id)
        assert user is not None
        user.tokens_not_before = utcnow()
        session.add(user)
        session.commit()
        honoured = first_honoured_second(user.tokens_not_before)
    assert eventually(lambda: client.get(path, headers=old).status_code == 401)
    while time.time() < honoured:  # a token of the revocation's own second is refused too
        time.sleep(0.05)
    token, _ = issue_token(f"user:{user_id}", ["probation_inspector"], None)
    new = {"Authorization": f"Bearer {token}"}
    assert client.get(path, headers=new).status_code == 200  # reads and keeps the principal
    statements.count = 0
    assert client.get(path, headers=new).status_code == 200
    assert client.get(path, headers=old).status_code == 401
    assert statements.count == 0


def test_an_account_enabled_again_here_keeps_its_old_tokens_refused(client, elsewhere):
    _, admin = account(elsewhere, "admin")
    user_id, old = account(elsewhere, "probation_inspector")
    path = f"/api/v1/inspections/{inspection_with_cases(elsewhere, 1)}/scores"
    assert client.get(path, headers=old).status_code == 200
    with Session(elsewhere) as session:
        user = session.get(UserAccount, user_id)
        assert user is not None
        username = user.username
    for disabled in (True, False):
        changed = client.patch(
            f"/api/v1/users/{username}", json={"disabled": disabled}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        # No waiting: this process's own commit made the kept principal stale.
        assert client.get(path, headers=old).status_code == 401


AGGREGATES = "/api/v1/aggregates"
BY_ESTABLISHMENT = {"framework": "omi-custody-2011", "group_by": "establishment"}
BY_TYPE = {"framework": "omi-custody-2011", "group_by": "establishment_type"}


def cases_by_group(response: Any, dimension: str) -> dict[Any, int]:
    assert response.status_code == 200, response.text
    return {row["group"][dimension]: row["cases"] for row in response.json()["rows"]}


def test_a_kept_aggregate_is_served_without_counting_again(client, elsewhere, statements):
    _, analyst = account(elsewhere, "analyst")
    inspection_with_cases(elsewhere, 3)
    first = client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst)
    assert first.status_code == 200
    statements.reset()
    again = client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst)
    conditional = client.get(
        AGGREGATES,
        params=BY_ESTABLISHMENT,
        headers={**analyst, "If-None-Match": first.headers["etag"]},
    )
    assert again.content == first.content and conditional.status_code == 304
    # The framework's versions are looked up; no tally, case or answer is read.
    assert statements.touching("tally") == [] and statements.touching("inspection_case") == []
    as_csv = client.get(AGGREGATES, params={**BY_ESTABLISHMENT, "format": "csv"}, headers=analyst)
    statements.reset()
    csv_again = client.get(
        AGGREGATES, params={**BY_ESTABLISHMENT, "format": "csv"}, headers=analyst
    )
    csv_conditional = client.get(
        AGGREGATES,
        params={**BY_ESTABLISHMENT, "format": "csv"},
        headers={**analyst, "If-None-Match": as_csv.headers["etag"]},
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert csv_again.content == as_csv.content and as_csv.headers["etag"] != first.headers["etag"]
    assert csv_conditional.status_code == 304 and statements.touching("tally") == []


def test_each_query_keeps_its_own_aggregate(client, elsewhere):
    _, analyst = account(elsewhere, "analyst")
    inspection_with_cases(elsewhere, 2)
    framework = {"framework": "omi-custody-2011"}
    queries = [
        framework,
        {**framework, "status": "fieldwork"},
        BY_ESTABLISHMENT,
        BY_TYPE,
        {**framework, "establishment": "durham"},
        {**framework, "in_scope": True},
        {**framework, "compare_from": "2009-01-01", "compare_to": "2010-12-31"},
    ]
    first = [client.get(AGGREGATES, params=query, headers=analyst) for query in queries]
    again = [client.get(AGGREGATES, params=query, headers=analyst) for query in queries]
    assert [response.content for response in again] == [response.content for response in first]
    documents = [response.json() for response in again]
    assert len({response.content for response in again}) == len(queries)
    assert documents[1]["filters"]["status"] == ["fieldwork"]
    assert [document["group_by"] for document in documents[2:4]] == [
        "establishment",
        "establishment_type",
    ]
    assert documents[4]["filters"]["establishment"] == "durham"
    assert documents[5]["filters"]["in_scope"] is True
    assert documents[6]["compare"] == {"from": "2009-01-01", "to": "2010-12-31"}


@pytest.mark.parametrize("table", ["establishment", "trust", "region", "programme", "framework"])
def test_a_write_elsewhere_to_reference_data_makes_aggregates_stale(client, elsewhere, table):
    before = changes.feed.token(changes.AGGREGATES)
    with elsewhere.begin() as connection:
        # A statement trigger: any write to the table notifies, whatever rows it touched.
        connection.execute(text(f"UPDATE {table} SET code = code WHERE code = 'none'"))
    assert eventually(lambda: changes.feed.token(changes.AGGREGATES) != before)


def test_a_framework_replaced_elsewhere_while_a_read_starts_is_not_kept(
    client, elsewhere, monkeypatch
):
    """The versions are read before the token is taken: a draft framework replaced in
    place (same id) in between must not be kept as the replacement's aggregate."""
    from app.routers import aggregates as router

    _, analyst = account(elsewhere, "analyst")
    document = read_reference("omi-custody-2011.yaml")
    document["code"] = f"draft-{uuid.uuid4().hex[:6]}"
    with Session(elsewhere) as session:
        frameworks.store(session, document, "feed-test")
        session.commit()
    retitled = copy.deepcopy(document)
    retitled["instruments"][0]["title"] = "Retitled elsewhere"
    real_token = router.kept_aggregates.token

    def replaced_first() -> changes.Token | None:
        before = changes.feed.token(changes.AGGREGATES)
        with Session(elsewhere) as session:
            frameworks.store(session, retitled, "feed-test")
            session.commit()
        assert eventually(lambda: changes.feed.token(changes.AGGREGATES) != before)
        return real_token()

    params = {"framework": document["code"]}

    def first_title() -> str:
        response = client.get(AGGREGATES, params=params, headers=analyst)
        assert response.status_code == 200, response.text
        return response.json()["rows"][0]["instruments"][0]["title"]

    monkeypatch.setattr(router.kept_aggregates, "token", replaced_first)
    assert first_title() == document["instruments"][0]["title"]  # read as it started
    monkeypatch.setattr(router.kept_aggregates, "token", real_token)
    assert first_title() == "Retitled elsewhere"


def test_a_case_written_elsewhere_reaches_the_next_aggregate(client, elsewhere):
    _, analyst = account(elsewhere, "analyst")
    inspection = inspection_with_cases(elsewhere, 2)
    before = cases_by_group(
        client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst), "establishment"
    )
    add_case(elsewhere, inspection, "F910")
    assert eventually(
        lambda: (
            cases_by_group(
                client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst), "establishment"
            )["durham"]
            == before["durham"] + 1
        )
    )


def retype(engine: Engine, code: str, kind: EstablishmentType | None) -> None:
    with Session(engine) as session:
        prison = session.get(Establishment, code)
        assert prison is not None
        prison.type = kind
        session.add(prison)
        session.commit()


def test_a_prison_retyped_elsewhere_reaches_the_next_aggregate(client, elsewhere):
    _, analyst = account(elsewhere, "analyst")
    with Session(elsewhere) as session:
        # The only inspection at Frankland (a training prison): the builder's is Durham.
        inspection = make_inspection(session, establishment="frankland")
        make_case(session, inspection, "F001", {"rmp_sufficient": "yes"})
        session.commit()
    before = cases_by_group(
        client.get(AGGREGATES, params=BY_TYPE, headers=analyst), "establishment_type"
    )
    retype(elsewhere, "frankland", EstablishmentType.women)
    try:
        assert eventually(
            lambda: (
                cases_by_group(
                    client.get(AGGREGATES, params=BY_TYPE, headers=analyst), "establishment_type"
                ).get("women", 0)
                == before.get("women", 0) + 1
            )
        )
    finally:
        retype(elsewhere, "frankland", EstablishmentType.training)


def test_a_case_written_here_reaches_the_aggregate_at_once(client, elsewhere):
    _, analyst = account(elsewhere, "analyst")
    _, admin = account(elsewhere, "admin")
    inspection = inspection_with_cases(elsewhere, 1)
    before = cases_by_group(
        client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst), "establishment"
    )
    case = {**CASE_BODY, "case_ref": "F920"}
    created = client.post(f"/api/v1/inspections/{inspection}/cases", json=case, headers=admin)
    assert created.status_code == 201, created.text
    # No waiting: this process's own commit made what it kept stale.
    after = cases_by_group(
        client.get(AGGREGATES, params=BY_ESTABLISHMENT, headers=analyst), "establishment"
    )
    assert after["durham"] == before["durham"] + 1


def test_a_listener_whose_connection_hangs_stops_vouching_within_seconds(database):
    url = make_url(database)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        feed = changes.ChangeFeed()
        listener = changes.Listener(proxied, feed)
        listener.start()
        try:
            assert eventually(lambda: feed.token(changes.AGGREGATES) is not None, 5)
            vouched = feed.token(changes.AGGREGATES)
            proxy.hold()  # the link stays up and passes nothing: no error, no word
            started = time.monotonic()
            assert eventually(lambda: feed.token(changes.AGGREGATES) is None, 6)
            assert time.monotonic() - started < changes.HEARD_WITHIN + 2
            proxy.release()
            # It answers again; what was kept before the hang stays stale.
            assert eventually(lambda: feed.token(changes.AGGREGATES) is not None, 5)
            assert feed.token(changes.AGGREGATES) != vouched
        finally:
            proxy.release()
            listener.stop()
