"""Choosing a response media type from Accept (or an explicit ?format=)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from starlette.responses import Response

from app.errors import NotAcceptable

P = ParamSpec("P")


def varies_by_accept(handler: Callable[P, Response]) -> Callable[P, Response]:
    """For a handler whose answer depends on Accept: tells caches so (`Vary: Accept`)."""

    @functools.wraps(handler)
    def answer(*args: P.args, **kwargs: P.kwargs) -> Response:
        response = handler(*args, **kwargs)
        response.headers["Vary"] = "Accept"
        return response

    return answer


FORMATS = {"json": "application/json", "html": "text/html", "pdf": "application/pdf"}


def _ranges(accept: str) -> list[tuple[float, int, str]]:
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, position, media.lower()))
    return sorted(ranges)


def _matches(media_range: str, offer: str) -> bool:
    if media_range in ("*/*", offer):
        return True
    kind, _, subtype = media_range.partition("/")
    return subtype == "*" and offer.startswith(kind + "/")


def negotiate(accept: str | None, format_param: str | None, offers: tuple[str, ...]) -> str:
    """The offered media type the client prefers; 406 when it accepts none of them."""
    if format_param:
        wanted = FORMATS.get(format_param.lower())
        if wanted in offers:
            return wanted
        raise NotAcceptable(
            f"format must be one of {', '.join(k for k, v in FORMATS.items() if v in offers)}"
        )
    if not accept:
        return offers[0]
    for _, _, media_range in _ranges(accept):
        for offer in offers:
            if _matches(media_range, offer):
                return offer
    raise NotAcceptable(f"this resource is available as {', '.join(offers)}")
