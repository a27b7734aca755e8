"""The API's OpenAPI description and its Swagger UI, for logged-in users only.

``/openapi.json`` answers a logged-in browser session or a valid API token; ``/docs`` (Swagger
UI, served from the vendored files in ``static/swagger``, no CDN) needs a logged-in session.
Anyone else gets the login page (``/docs``) or 401 (``/openapi.json``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from psoreg.accounts import sessions
from psoreg.web.app import NotLoggedIn, current_actor, render, store_of

router = APIRouter(include_in_schema=False)


def _bearer_ok(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return False
    with store_of(request).session() as s:
        return sessions.token_user(s, auth[7:].strip()) is not None


@router.get("/openapi.json")
def openapi(request: Request) -> Response:
    try:
        current_actor(request)
    except NotLoggedIn:
        if not _bearer_ok(request):
            return JSONResponse(
                {"detail": "log in, or send a valid bearer token (POST /api/token)"}, 401
            )
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> Response:
    current_actor(request)
    return render(request, "docs.html")
