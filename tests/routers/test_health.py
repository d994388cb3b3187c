def test_live_answers_without_a_token(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_unknown_route_is_a_problem_document(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (
        body["status"] == 404
        and body["title"] == "Not found"
        and body["type"].startswith("/problems/")
    )


def test_wrong_method_is_a_problem_document(client):
    response = client.delete("/health/live")
    assert response.status_code == 405
    assert response.json()["type"] == "/problems/method-not-allowed"


def test_every_response_carries_security_headers_and_a_request_id(client):
    response = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers
