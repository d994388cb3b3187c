"""What a front-end team meets first: /docs and /redoc offline, and CORS for every method."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app import config
from app.main import create_app
from tests.security.routes import api_endpoints

ORIGIN = "https://front-end.example"
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class References(HTMLParser):
    """Every URL a page loads: src and href attributes, and url: in inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in {"src", "href", "spec-url"} and value:
                self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls.extend(re.findall(r"""url:\s*['"]([^'"]+)['"]""", data))


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_everything_from_the_service_itself(client, page):
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", response.text), (
        "the page names another host; it would be blank without internet access"
    )
    urls = references(response.text)
    assert "/openapi.json" in urls
    assets = [url for url in urls if url != "/openapi.json"]
    assert any(url.endswith(".js") for url in assets), urls
    for url in assets:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
        kind = ASSET_TYPES[url[url.rindex(".") :]]
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])


def test_swagger_ui_is_wired_for_the_oauth2_authorize_button(client):
    html = client.get("/docs").text
    assert "oauth2RedirectUrl" in html
    assert '"validatorUrl": null' in html  # no call out to an online validator
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "oauth2" in redirect.text.lower()


# --- CORS ---------------------------------------------------------------------------------


@pytest.fixture
def browser(monkeypatch) -> Iterator[TestClient]:
    """The app as configured for one front-end origin (no database needed for preflights)."""
    monkeypatch.setenv("CORS_ORIGINS", ORIGIN)
    config.get_settings.cache_clear()
    try:
        with TestClient(create_app()) as test_client:
            yield test_client
    finally:
        monkeypatch.delenv("CORS_ORIGINS")
        config.get_settings.cache_clear()


def routes_by_method() -> dict[str, str]:
    """One API path for each method the API uses, found by walking the routes."""
    found: dict[str, str] = {}
    for endpoint in api_endpoints(create_app()):
        if endpoint.path.startswith("/api/v1/"):
            found.setdefault(endpoint.method, endpoint.path)
    return found


def test_the_api_uses_the_methods_the_preflight_is_tested_for():
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= set(routes_by_method())


@pytest.mark.parametrize("method", sorted(routes_by_method()))
def test_a_preflight_allows_every_method_the_api_uses(browser, method):
    path = routes_by_method()[method]
    response = browser.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert response.status_code == 200, (method, path, response.text)
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = {item.strip() for item in response.headers["access-control-allow-methods"].split(",")}
    assert method in allowed
    headers = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "if-match"} <= {
        item.strip() for item in headers.split(",")
    }


def test_a_preflight_from_another_origin_is_refused(browser):
    response = browser.options(
        "/api/v1/inspections",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_responses_expose_the_headers_a_front_end_reads(browser):
    response = browser.get("/health/live", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    exposed = {
        item.strip().lower()
        for item in response.headers["access-control-expose-headers"].split(",")
    }
    # Content-Disposition names the file of a downloaded letter, PDF or extract.
    assert {"etag", "location", "retry-after", "content-disposition", "x-request-id"} <= exposed
