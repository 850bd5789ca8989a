"""The explorer's web server: ``create_app()`` builds the FastAPI application.

What it serves:

* the three pages (``/``, ``/backprop``, ``/playground``) and their CSS and
  JavaScript, shipped inside the package (``static/``);
* plotly.js, read from the installed ``plotly`` Python package, so the pages
  fetch nothing from the internet;
* the JSON API (``routes.py``), documented by ``/openapi.json``.

How it stays safe to leave running on a laptop:

* every request body is checked by a pydantic model with bounds before any
  work starts; a refusal is HTTP 422 with one readable message per problem,
  naming the field and the allowed range;
* bodies over ``MAX_BODY_BYTES`` are refused before they are read in full;
* the server keeps no per-client state, and the pages may only talk to the
  server they came from (Content-Security-Policy).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ChainruleError
from . import routes

STATIC = Path(str(files("chainrule.web") / "static"))
# The largest request body accepted: 2,000 points and a full 6 × 32 network fit in well under this.
MAX_BODY_BYTES = 1_000_000
# Pages may load scripts, styles and data from this server only; plotly needs inline styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGES = {"/": "index.html", "/backprop": "backprop.html", "/playground": "playground.html"}


def plotly_js_path() -> Path | None:
    """plotly.min.js inside the installed ``plotly`` package, or None if it is not there."""
    try:
        path = Path(str(files("plotly") / "package_data" / "plotly.min.js"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


# ------------------------------------------------------------ error messages
def _resolve(schema: dict, spec: dict) -> dict:
    """Follow ``$ref`` links and unwrap ``Optional`` (``anyOf`` with null) in a JSON schema."""
    for _ in range(20):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = spec.get("components", {}).get("schemas", {}).get(name, {})
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = options[0] if options else {}
        else:
            return schema
    return schema


def _schema_at(spec: dict, body: dict, loc: tuple) -> dict | None:
    """The JSON schema of the value at ``loc`` inside a request body of schema ``body``."""
    schema = _resolve(body, spec)
    for key in loc:
        if isinstance(key, int):
            if "prefixItems" in schema and key < len(schema["prefixItems"]):
                schema = schema["prefixItems"][key]
            elif "items" in schema:
                schema = schema["items"]
            else:
                return None
        else:
            props = schema.get("properties", {})
            if key not in props:
                return None
            schema = props[key]
        schema = _resolve(schema, spec)
    return schema


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def describe_allowed(schema: dict | None) -> str:
    """What a JSON schema allows, in words: 'a number from -100 to 100', 'one of: tanh, relu'."""
    if not schema:
        return ""
    if "enum" in schema:
        return "one of: " + ", ".join(_fmt(v) for v in schema["enum"])
    if "const" in schema:
        return f"exactly {_fmt(schema['const'])}"
    kind = schema.get("type")
    if kind in ("number", "integer"):
        noun = "a whole number" if kind == "integer" else "a finite number"
        low = (">", schema["exclusiveMinimum"]) if "exclusiveMinimum" in schema else (">=", schema.get("minimum"))
        high = ("<", schema["exclusiveMaximum"]) if "exclusiveMaximum" in schema else ("<=", schema.get("maximum"))
        if low[1] is not None and high[1] is not None:
            if low[0] == ">=" and high[0] == "<=":
                return f"{noun} from {_fmt(low[1])} to {_fmt(high[1])}"
            return f"{noun} {low[0]} {_fmt(low[1])} and {high[0]} {_fmt(high[1])}"
        for op, bound in (low, high):
            if bound is not None:
                return f"{noun} {op} {_fmt(bound)}"
        return noun
    if kind == "array":
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        if "prefixItems" in schema:
            return f"a list of exactly {len(schema['prefixItems'])} items"
        if high is not None:
            return f"a list of {low} to {high} items"
        return f"a list of at least {low} items" if low else "a list"
    if kind == "string":
        return "a string"
    if kind == "object":
        return "an object with the documented fields"
    return ""


def _field_name(loc: tuple) -> str:
    """('body', 'layers', 2) → 'layers[2]'; ('body',) → 'request body'."""
    parts = [p for p in loc if p != "body"]
    if not parts:
        return "request body"
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text


def _request_schema(request: Request) -> tuple[dict, dict]:
    """The OpenAPI document of the app and the schema of the matched route's JSON body."""
    spec = request.app.openapi()
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    operation = spec.get("paths", {}).get(path, {}).get(request.method.lower(), {})
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return spec, body


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """HTTP 422 whose messages name the field, the problem and the allowed range."""
    spec, body = _request_schema(request)
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":  # loc is ('body', character position)
            at = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
            loc = ("body",)
            message = "not valid JSON" + (f" (at character {at})" if at is not None else "")
        field = _field_name(loc)
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        allowed = ""
        if loc and loc[0] == "body" and error.get("type") not in ("json_invalid", "extra_forbidden"):
            allowed = describe_allowed(_schema_at(spec, body, loc[1:]))
        if error.get("type") == "extra_forbidden":
            known = _resolve(body, spec).get("properties", {})
            allowed = "known fields: " + ", ".join(known) if known else ""
        text = f"{field}: {message}"
        if allowed:
            text += f"; allowed: {allowed}"
        if "input" in error and error.get("type") not in ("missing", "json_invalid", "model_attributes_type"):
            shown = repr(error["input"])
            text += f" (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
        problems.append({"field": field, "message": text, "allowed": allowed, "type": error.get("type", "")})
    return JSONResponse(
        status_code=422,
        content={"error": "; ".join(p["message"] for p in problems), "detail": problems},
    )


async def chainrule_error(request: Request, exc: ChainruleError) -> JSONResponse:
    """A value the models let through but the engine refuses (e.g. a network that overflows): 422, one line."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return JSONResponse(status_code=422, content={"error": message, "detail": [{"field": "", "message": message}]})


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Refusals under ``/api/`` in the documented shape (``api_models.ApiError``); pages keep FastAPI's default.

    FastAPI answers a body it cannot decode (bytes that are not UTF-8) with a bare 400; for the API that is
    bad input like any other, so it becomes a 422 with one readable line.
    """
    if not request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    status, message = exc.status_code, str(exc.detail)
    if status == 400:
        status, message = 422, "request body: cannot be read as JSON; allowed: a JSON object in UTF-8 text"
    return JSONResponse(status_code=status, content={"error": message, "detail": [{"field": "request body", "message": message}]},
                        headers=getattr(exc, "headers", None))


# ------------------------------------------------------------------ middleware
class LimitBody:
    """Refuse request bodies over ``max_bytes`` (HTTP 413), counting what arrives, not what is announced."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # FastAPI turns this into the 413 answer
                    raise HTTPException(413, f"request body: too large; allowed: at most {self.max_bytes} bytes")
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send):
        response = JSONResponse(
            status_code=413,
            content={"error": f"request body: too large; allowed: at most {self.max_bytes} bytes"},
        )
        await response({"type": "http"}, None, send)


class _TooLarge(Exception):
    pass


class SecurityHeaders:
    """Add the Content-Security-Policy and friends to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)


# ------------------------------------------------------------------------ app
def create_app() -> FastAPI:
    """The explorer: pages, static files, plotly.js and the JSON API."""
    app = FastAPI(
        title="chainrule explorer",
        version=__version__,
        description=(
            "Backpropagation you can play with. Every number is computed by chainrule's engine; "
            "the pages only draw. Every request is bounded: at most 6 hidden layers of 32 neurons, "
            "2,000 points and 1,000 steps per call; anything else gets HTTP 422 naming the field "
            "and the allowed range. The server keeps no state between calls."
        ),
        # FastAPI's interactive docs load their scripts from a CDN; the explorer fetches nothing
        # from the internet, so only the schema itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ChainruleError, chainrule_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.include_router(routes.router)
    from .exercise_routes import router as exercises; app.include_router(exercises)  # noqa: E702 - one line to merge

    for url, name in PAGES.items():
        app.add_api_route(url, _page(name), methods=["GET"], include_in_schema=False)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        path = plotly_js_path()
        if path is None:
            return JSONResponse(status_code=404, content={"error": "plotly.min.js not found: pip install plotly"})
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(LimitBody)
    app.add_middleware(SecurityHeaders)
    return app


def _page(name: str):
    def page():
        return FileResponse(STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"})

    page.__name__ = f"page_{name.split('.')[0]}"
    return page
