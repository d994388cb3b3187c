"""A letter's PDF is rendered once per version and status, however often it is read."""

from __future__ import annotations

import threading

from app.routers import letters as letters_router
from app.services.letters.pdf_cache import PdfCache
from tests.routers.test_letters import OWN_TRUST, generate
from tests.routers.test_letters import inspection as inspection

PDF = {"Accept": "application/pdf"}


def test_repeated_pdf_reads_render_once_and_publication_renders_again(
    client, auth, inspection, monkeypatch
):
    renders: list[str] = []
    real = letters_router.render_pdf

    def counting(document):
        renders.append("draft" if document.marker else "published")
        return real(document)

    monkeypatch.setattr(letters_router, "render_pdf", counting)
    letter = generate(client, auth, inspection)[OWN_TRUST]
    url = f"/api/v1/findings-letters/{letter['id']}"
    who = {**auth("admin"), **PDF}
    first = client.get(url, headers=who)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    for _ in range(3):
        again = client.get(url, headers=who)
        assert again.content == first.content
    assert renders == ["draft"]

    # Published, the letter reads differently (no DRAFT marker): a new render, then kept.
    assert client.post(f"{url}/publish", headers=auth("admin")).status_code == 200
    published = client.get(url, headers=who)
    assert published.status_code == 200 and published.content != first.content
    client.get(url, headers=who)
    assert renders == ["draft", "published"]


def test_concurrent_readers_of_one_letter_wait_for_one_render():
    cache = PdfCache(max_renders=2)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_render() -> bytes:
        calls.append(1)
        started.set()
        release.wait(10)
        return b"%PDF-1.7 one"

    results: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: results.append(cache.get_or_render("k", slow_render)))
        for _ in range(5)
    ]
    readers[0].start()
    started.wait(10)
    for reader in readers[1:]:
        reader.start()
    release.set()
    for reader in readers:
        reader.join(10)
    assert calls == [1]
    assert results == [b"%PDF-1.7 one"] * 5


def test_the_cache_is_bounded_in_bytes():
    cache = PdfCache(max_bytes=10)
    cache.get_or_render("a", lambda: b"123456")
    cache.get_or_render("b", lambda: b"123456")  # pushes "a" out
    rendered: list[str] = []
    cache.get_or_render("a", lambda: rendered.append("a") or b"123456")
    assert rendered == ["a"]
    assert cache.get_or_render("huge", lambda: b"x" * 11) == b"x" * 11  # served, not kept
