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
  naming the field and the allowed range, at most ``MAX_LISTED`` of them and
  how many more (so that no error list grows with the body);
* bodies over ``MAX_BODY_BYTES`` are refused before they are read in full, and
  a JSON body with more keys, list items, strings or nesting than its
  endpoint's schema can use is refused before it is parsed (``BoundJson``,
  ``bodies.py``): what the event loop spends on a body that fits is bounded
  by the schema, not by the body;
* the computing runs in bounded pools (``capacity.py``): at most so many
  requests compute at once, so many more wait (for the lessons, no more than
  about ``LESSONS_MAX_WAIT`` seconds' worth), and the rest get 503 with
  ``Retry-After`` at once; the pages, static files and ``/api/limits`` never
  wait behind them;
* a request is answered only if its one ``Host`` header is an address of
  this server, written as a host and an optional port (``HostGuard``): a web
  page elsewhere cannot reach it through DNS rebinding; an empty, malformed
  or repeated ``Host`` is refused the same way;
* the server keeps no per-client state, and the pages may only talk to the
  server they came from (Content-Security-Policy).

How the pages load fast: the static files are compressed (Starlette's
``GZipMiddleware``) and revalidated by ETag; plotly.js (4.8 MB) is compressed
once and kept, served with a day of caching, and only the pages that draw
load it, without holding up the first render (``async``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import ipaddress
import re
import reprlib
from importlib.resources import files
from pathlib import Path
from typing import Iterable

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from .. import __version__
from ..errors import ChainruleError, refusal
from . import bodies, exercise_routes, routes
from .capacity import Busy, Capacity

STATIC = Path(str(files("chainrule.web") / "static"))
# The largest request body accepted: 2,000 points and a full 6 × 32 network fit in well under this.
MAX_BODY_BYTES = 1_000_000
# The most problems one 422 lists; the rest are counted ("and 12 more").
MAX_LISTED = 5
# Pages may load scripts, styles and data from this server only; plotly needs inline styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGES = {"/": "index.html", "/backprop": "backprop.html", "/playground": "playground.html"}
# The names under which this computer is reached from itself; ``chainrule serve --host X`` adds X.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# The computing pools: (workers, waiting). Training the playground is the heavy kind: one worker per core of a
# small laptop, a short queue (each request is within the work budget, about a quarter of a second at most).
# The lesson networks answer in milliseconds: a few workers and a queue long enough for a classroom, which takes
# no one more once it would keep a new request waiting more than LESSONS_MAX_WAIT seconds at the pool's recent
# pace (capacity.Capacity.max_wait): on a slow or busy machine the answer is then 503 + Retry-After at once, and
# what is admitted is answered within about a second, never left to a client's timeout.
TRAINING_POOL = (2, 16)
LESSONS_POOL = (4, 1000)
LESSONS_MAX_WAIT = 0.5


def plotly_js_path() -> Path | None:
    """plotly.min.js inside the installed ``plotly`` package, or None if it is not there."""
    try:
        path = Path(str(files("plotly") / "package_data" / "plotly.min.js"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


@functools.cache
def _plotly_gzip(path: Path) -> tuple[bytes, str]:
    """plotly.min.js compressed once (about 4.8 MB → 1.4 MB) and its ETag; kept for the life of the server."""
    data = path.read_bytes()
    return gzip.compress(data, compresslevel=6, mtime=0), '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


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
        text = noun
        if low[1] is not None and high[1] is not None:
            if low[0] == ">=" and high[0] == "<=":
                text = f"{noun} from {_fmt(low[1])} to {_fmt(high[1])}"
            else:
                text = f"{noun} {low[0]} {_fmt(low[1])} and {high[0]} {_fmt(high[1])}"
        else:
            for op, bound in (low, high):
                if bound is not None:
                    text = f"{noun} {op} {_fmt(bound)}"
                    break
        gap = schema.get("not", {})
        if "exclusiveMinimum" in gap and "exclusiveMaximum" in gap:  # a hole around 0: "not strictly between"
            a, b = gap["exclusiveMinimum"], gap["exclusiveMaximum"]
            text += f", at least {_fmt(b)} away from 0" if a == -b else f", not strictly between {_fmt(a)} and {_fmt(b)}"
        return text
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


_SHORT = reprlib.Repr()  # what a refusal quotes of a value: a few items of a list, never all of it
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 2, 6, 6, 4
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 80


def _shown(value) -> str:
    """``value`` as a refusal quotes it: its repr, cut at 60 characters (built from a bounded repr, whatever its size)."""
    text = _SHORT.repr(value) if isinstance(value, (list, tuple, dict, set, str, int)) else repr(value)[:80]
    return text[:60] + ("…" if len(text) > 60 else "")


def api_refusal(status: int, message: str, field: str = "request body", allowed: str = "", kind: str = "") -> JSONResponse:
    """A refusal in the documented shape (``api_models.ApiError``): one line, and one problem naming its field."""
    problem = {"field": field, "message": message}
    if allowed or kind:
        problem |= {"allowed": allowed, "type": kind}
    return JSONResponse(status_code=status, content={"error": message, "detail": [problem]})


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """HTTP 422 whose messages name the field, the problem and the allowed range: the first ``MAX_LISTED`` problems,
    and how many more there are."""
    errors = exc.errors()
    spec, body = _request_schema(request) if errors else ({}, {})
    problems = []
    for error in errors[:MAX_LISTED]:
        loc = tuple(error.get("loc", ()))
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":  # loc is ('body', character position)
            at = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
            loc = ("body",)
            message = "not valid JSON" + (f" (at character {at})" if at is not None else "")
        field = _field_name(loc)
        if error.get("type") == "work_budget":  # a rule on the whole request (api_models.MAX_WORK): its own name
            text = f"work budget: {message}"
            problems.append({"field": "work budget", "message": text, "allowed": "", "type": "work_budget"})
            continue
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
            text += f" (got {_shown(error['input'])})"
        problems.append({"field": field, "message": text, "allowed": allowed, "type": error.get("type", "")})
    more = len(errors) - len(problems)
    line = "; ".join(p["message"] for p in problems)
    content = {"error": line, "detail": problems}
    if more > 0:
        content["error"] = f"{line}; and {more:,} more problem{'s' if more > 1 else ''}"
        content["more"] = more
    return JSONResponse(status_code=422, content=content)


async def chainrule_error(request: Request, exc: ChainruleError) -> JSONResponse:
    """A value the models let through but the engine refuses (e.g. a network that overflows): 422, one line."""
    return JSONResponse(status_code=422, content=refusal(exc))


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Refusals under ``/api/`` in the documented shape (``api_models.ApiError``); pages keep FastAPI's default.

    FastAPI answers a body it cannot decode (bytes that are not UTF-8) with a bare 400; for the API that is
    bad input like any other, so it becomes a 422 with one readable line.
    """
    if not request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    status, message = exc.status_code, str(exc.detail)
    if status == 400:
        status, message = 422, _NOT_JSON
    return JSONResponse(status_code=status, content={"error": message, "detail": [{"field": "request body", "message": message}]},
                        headers=getattr(exc, "headers", None))


async def busy_error(request: Request, exc: Busy) -> JSONResponse:
    """A full pool: 503 with ``Retry-After``, in the documented refusal shape."""
    message = str(exc)
    return JSONResponse(status_code=503, content={"error": message, "detail": [{"field": "", "message": message}]},
                        headers={"Retry-After": str(exc.retry_after)})


def pools(app: FastAPI) -> tuple[Capacity, ...]:
    """The computing pools of an app made by ``create_app``."""
    return app.state.training, app.state.lessons


def stop_computing(app: FastAPI) -> None:
    """The server is stopping: refuse new and waiting requests (503); the ones computing finish."""
    for pool in pools(app):
        pool.close()


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    for pool in pools(app):  # an app may be started again after a stop (the tests do)
        pool.open()
    yield
    for pool in pools(app):  # the worker processes finish what they compute, then stop
        await anyio.to_thread.run_sync(pool.shutdown)


# ------------------------------------------------------------------ middleware
class HostGuard:
    """Answer only requests whose ``Host`` names this server: a guard against DNS rebinding.

    A page on evil.example can make a browser's own DNS point evil.example at
    127.0.0.1 and then read the explorer as if it were its own site; the
    browser still sends ``Host: evil.example``, so refusing unknown hosts
    closes that door. Allowed: the names in ``hosts`` (this computer's names
    and the ``--host`` the server was started with) and the address the
    connection arrived on (so ``--host 0.0.0.0`` answers at every address of
    this computer, typed as an address). Starlette's ``TrustedHostMiddleware``
    takes a fixed list only, which cannot say "the address this connection
    arrived on".

    The header must be exactly one host and an optional port (RFC 9110's
    ``uri-host [ ":" port ]``): an empty header, a second ``Host``, or one
    with a path, user, query or stray characters (``127.0.0.1/x``,
    ``evil@127.0.0.1``, ``127.0.0.1:abc``) is refused like a foreign host,
    never read generously.
    """

    def __init__(self, app, hosts: Iterable[str] = LOCAL_HOSTS):
        self.app = app
        self.hosts = frozenset(_bare(h) for h in hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = [value for name, value in scope.get("headers", ()) if name == b"host"]
        header = given[0].decode("latin-1") if given else ""
        host = host_of(header) if len(given) == 1 else None
        server = scope.get("server")
        arrived_on = _bare(str(server[0])) if server else None
        if host and (host in self.hosts or host == arrived_on):
            return await self.app(scope, receive, send)
        shown = " and ".join(repr(v.decode("latin-1")[:60]) for v in given) if any(given) else "(none)"
        response = PlainTextResponse(
            f"Host {shown} is not an address of this explorer; allowed: {', '.join(sorted(self.hosts))} "
            "or the address you connected to, with an optional port. (This refuses web pages elsewhere that try to "
            "reach the explorer through DNS rebinding.)",
            status_code=400,
        )
        await response(scope, receive, send)


# A Host header: a name (letters, digits, dots, hyphens) or an IPv4 address, or an IPv6 address in brackets;
# then an optional port.
_HOST_HEADER = re.compile(r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?))"
                          r"(?::(?P<port>[0-9]{1,5}))?")


def host_of(header: str) -> str | None:
    """The host a ``Host`` header names, as ``_bare`` writes it; None for an empty or malformed header."""
    match = _HOST_HEADER.fullmatch(header)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) <= 65535):
        return None
    if match["ip6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ip6"]))
        except ValueError:
            return None
    return match["name"].lower()


def _bare(host: str) -> str:
    """A host as URLs hold it, lowercase and without IPv6 brackets, an IPv6 address in its short form: '[::1]' → '::1'."""
    host = host.strip().strip("[]").lower()
    try:
        return str(ipaddress.IPv6Address(host)) if ":" in host else host
    except ValueError:
        return host


class CompressStatic:
    """Compress what the pages load (HTML, CSS, JavaScript) with Starlette's GZipMiddleware, never the API.

    The API's answers are small or already bounded, and compressing them would only cost CPU on
    this server (the browser is usually on the same computer).
    """

    def __init__(self, app):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1000, compresslevel=6)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (scope["path"].startswith("/static/") or scope["path"] in PAGES):
            return await self.gzip(scope, receive, send)
        return await self.app(scope, receive, send)


class RevalidateStatic(StaticFiles):
    """The static files with ``Cache-Control: no-cache``: the browser keeps them and asks by ETag (a 304 when unchanged)."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("cache-control", "no-cache")
        return response


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


class BoundJson:
    """Refuse a JSON body that holds more than its endpoint's schema can use, before anything parses it.

    For each endpoint that takes a JSON body, the schema's bounds (``bodies.shape_of``: keys and list items,
    strings, lists and objects, nesting depth) are read once from the app's OpenAPI document. A body is then
    read in full (``LimitBody`` counts its bytes on the way) and its raw bytes are measured against them
    (``bodies.excess``, linear in bytes methods); one over a bound is answered 422 naming the bound, and one
    within them goes on to FastAPI, which parses and validates it as before.
    """

    def __init__(self, app, openapi):
        self.app = app
        self.openapi = openapi
        self._shapes: dict[tuple[str, str], bodies.Shape | None] | None = None

    def shapes(self) -> dict[tuple[str, str], bodies.Shape | None]:
        """(method, path) → the Shape of its JSON body (None: unbounded, not checked), for every endpoint with one."""
        if self._shapes is None:
            spec = self.openapi()
            found = {}
            for path, operations in spec.get("paths", {}).items():
                for method, operation in operations.items():
                    content = (operation.get("requestBody") or {}).get("content", {})
                    if "application/json" in content:
                        found[(method.upper(), path)] = bodies.shape_of(content["application/json"].get("schema", {}), spec)
            self._shapes = found
        return self._shapes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or not _is_json(scope):
            return await self.app(scope, receive, send)
        shape = self.shapes().get((scope["method"], scope["path"]))
        if shape is None:
            return await self.app(scope, receive, send)
        chunks = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client has gone
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except StarletteHTTPException as exc:  # LimitBody: over MAX_BODY_BYTES
            return await api_refusal(exc.status_code, str(exc.detail))(scope, receive, send)
        body = b"".join(chunks)
        if not bodies.looks_like_utf8_json(body):
            return await api_refusal(422, _NOT_JSON, allowed="a JSON object in UTF-8 text",
                                     kind="json_invalid")(scope, receive, send)
        found = bodies.excess(body, shape)
        if found is not None:
            what, allowed = found
            message = (f"request body: {what}, far more than a request to {scope['path']} can use; allowed: {allowed} "
                       "(each documented field at most once, each list within its length)")
            return await api_refusal(422, message, allowed=allowed, kind="body_shape")(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


_NOT_JSON = "request body: cannot be read as JSON; allowed: a JSON object in UTF-8 text"


def _is_json(scope) -> bool:
    """Whether FastAPI may parse this request's body as JSON (it does for application/json and application/…+json):
    any Content-Type that says json, generously, so that no spelling of it skips the check."""
    return any(name == b"content-type" and b"json" in value.lower() for name, value in scope.get("headers", ()))


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
def create_app(hosts: Iterable[str] = LOCAL_HOSTS, training: tuple[int, int] = TRAINING_POOL,
               lessons: tuple[int, int] = LESSONS_POOL, lessons_max_wait: float | None = LESSONS_MAX_WAIT) -> FastAPI:
    """The explorer: pages, static files, plotly.js and the JSON API.

    ``hosts``: the host names it answers to (besides the address a connection arrives on);
    ``training`` and ``lessons``: (workers, waiting) of its two computing pools; ``lessons_max_wait``: the most
    seconds of queue the lesson pool admits a request behind (None: its count alone).
    """
    app = FastAPI(
        title="chainrule explorer",
        version=__version__,
        description=(
            "Backpropagation you can play with. Every number is computed by chainrule's engine; "
            "the pages only draw. Every request is bounded: at most 6 hidden layers of 32 neurons, "
            "2,000 points and 1,000 steps per call, and for the playground a work budget of steps × parameters × "
            "points per batch; anything else gets HTTP 422 naming the field and the allowed range. When every "
            "worker is busy and the queue is full the answer is HTTP 503 with Retry-After. The server keeps no "
            "state between calls."
        ),
        # FastAPI's interactive docs load their scripts from a CDN; the explorer fetches nothing
        # from the internet, so only the schema itself is served.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ChainruleError, chainrule_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Busy, busy_error)
    app.state.training = Capacity("training", *training, processes=True)
    app.state.lessons = Capacity("lesson", *lessons, max_wait=lessons_max_wait, seconds=0.005)
    app.include_router(routes.router)
    app.include_router(exercise_routes.router)

    for url, name in PAGES.items():
        app.add_api_route(url, _page(name), methods=["GET", "HEAD"], include_in_schema=False)

    @app.api_route("/vendor/plotly.min.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def plotly_js(request: Request):
        path = plotly_js_path()
        if path is None:
            return JSONResponse(status_code=404, content={"error": "plotly.min.js not found: pip install plotly"})
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" not in request.headers.get("accept-encoding", ""):
            return FileResponse(path, media_type="text/javascript", headers=headers)
        body, etag = await anyio.to_thread.run_sync(_plotly_gzip, path)  # compressed once, off the event loop
        headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":  # the length GET would send, and no body
            return Response(b"", media_type="text/javascript", headers={**headers, "Content-Length": str(len(body))})
        return Response(body, media_type="text/javascript", headers=headers)

    @app.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    app.mount("/static", RevalidateStatic(directory=STATIC), name="static")
    app.add_middleware(BoundJson, openapi=app.openapi)
    app.add_middleware(CompressStatic)
    app.add_middleware(LimitBody)
    app.add_middleware(HostGuard, hosts=hosts)
    app.add_middleware(SecurityHeaders)
    return app


def _page(name: str):
    async def page():
        return FileResponse(STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"})

    page.__name__ = f"page_{name.split('.')[0]}"
    return page
