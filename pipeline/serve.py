"""``newsbrief serve``: a small read-only web reader over the index (Starlette, jinja2, no build step).

Every page has a stable URL and the same data as JSON (``Accept: application/json`` or
``?format=json``)::

    /?days=1          the stories newsbrief took in over the window (1, 7, 30 days: any whole
                      number), one entry each with its sources, then the articles in no story;
                      a search box, the top entities of the last 7 days
    /search?q=…       the CLI's bm25 search (any string)
    /article/<id>     the brief beside the article text; each TLDR/summary sentence points at
                      the source sentences its provenance names (highlighted on hover/focus)
    /stories?days=7   the stories of the window, biggest first

A window counts when newsbrief took an article in (``added_at``), never the date a page gives
itself: that date is the page's claim, often missing or wrong, and a story the digest brought in
tonight from older pages is news to its reader tonight.
    /story/<id>       a story's brief, the sources that say each sentence, and each source's text
                      with the sentences the brief used from it marked
    /entity/<name>    canonical name, long form, aliases, mentions per day (SVG), its articles
    /digests/         the digests `digest` wrote, if told where (``digests_dir``), served as they are

The index is opened read-only for each request (a ``serve`` can never modify it and works
while a ``batch`` writes); a damaged index is an error page. Pages carry a strict
Content-Security-Policy: no inline script, no external anything; the only script is
``/static/reader.js``; every response says ``nosniff``. Page-controlled strings are autoescaped;
links to originals are http(s) only. The reader answers only to its own host names
(:func:`allowed_hosts`): a page on evil.example whose name resolves to 127.0.0.1 (DNS rebinding)
gets a 400, never the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import NoSuchArticle, StoreError, UsageError
from .reader import (
    article_view,
    chart,
    quote_path,
    story_entry,
    story_view,
    watch_view,
    watched_first,
    watched_keys,
    window,
    window_days,
)
from .render import templates
from .store import Store

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# digests are self-contained pages with their own inline <style>: styles yes, scripts never
DIGEST_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
DIGEST_TYPES = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
                ".atom": "application/atom+xml", ".xml": "application/xml"}  # fmt: skip
_DIGEST_NAME = re.compile(r"^[\w][\w.-]{0,200}$")
# the windows offered as links (?days=N); any whole number of days up to MAX_DAYS is answered
# Host headers the reader always answers to: the names of this machine's loopback
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def host_name(host: str) -> str:
    """``host`` as it appears in a URL or a Host header: an IPv6 address in brackets."""
    ip = _ip(host)
    return f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else host.lower()


_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_WILDCARD = "*."  # a pattern's only wildcard: *.example.org answers to every name under example.org


def host_pattern(pattern: str) -> str:
    """An ``--allow-host`` value as the Host check compares it: a host name, an IP address, or
    ``*.`` and a domain (its subdomains). Anything else (a bare ``*``, a ``*`` elsewhere, a port,
    a scheme, a path, nothing) is a :class:`UsageError` naming it: it would never match, or answer
    the Host check with an error page, or turn the check (DNS-rebinding protection) off."""
    if pattern.strip() == "*":
        raise UsageError(
            f"--allow-host {pattern!r} would turn off the Host check that keeps DNS rebinding away from the index; "
            "name each host the reader is browsed as (or *.example.org for every name under example.org)",
            "serve",
        )
    name = pattern.lower()
    ip = _ip(name)
    if ip is not None and not _scoped(ip) and (isinstance(ip, ipaddress.IPv6Address) or name[:1] != "["):
        return host_name(name)
    domain = name.removeprefix(_WILDCARD)
    if domain.isascii() and len(domain) <= 253 and _HOST_NAME.fullmatch(domain) and not domain.split(".")[-1].isdigit():
        return name
    raise UsageError(
        f"--allow-host {pattern!r} is not a host name, an IP address or *.domain "
        "(no port, scheme, path or other wildcard; an international name in its xn-- form)",
        "serve",
    )


def _scoped(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An IPv6 address with a zone (fe80::1%eth0): a Host header never carries one."""
    return isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host names the reader answers to: loopback's, the ``--host`` it listens on, and any
    the user adds (the machine's name when it listens on every interface), each checked by
    :func:`host_pattern`."""
    return list(dict.fromkeys([*LOCAL_HOSTS, host_name(host), *(host_pattern(h) for h in extra)]))


def is_local(host: str) -> bool:
    """Does listening on ``host`` keep the reader to this machine (any loopback address)?"""
    ip = _ip(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return host.lower() == "localhost" if ip is None else ip.is_loopback


def listen_url(host: str, port: int) -> str:
    return f"http://{host_name(host)}:{port}/"


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``, or a :class:`UsageError` saying why not (port in
    use, no such address, no permission) before anything claims the reader is up."""
    where = listen_url(host, port)
    try:
        family = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host.strip("[]"), port), family=family)
    except (OSError, OverflowError) as exc:  # gaierror is an OSError; a port over 65535 an OverflowError
        why = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot listen on {where}: {why} (choose another --host or --port)", "serve") from None


def start(
    db: Path, host: str, port: int, extra_hosts: Iterable[str] = (), digests_dir: Path | None = None,
    watches: Any = None,
) -> Any:  # fmt: skip
    """The reader's app and its listening socket, or the error saying why not (the index missing
    or unreadable, the port in use) before anything claims the reader is up."""
    from .store import Store

    hosts = allowed_hosts(host, extra_hosts)  # a bad --allow-host is said first: nothing is opened
    Store(db, readonly=True).close()
    app = create_app(db, digests_dir, hosts, watches)
    return app, listen(host, port), hosts


def serve_socket(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on the socket :func:`listen` made, until interrupted."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


class _Nosniff:
    """ASGI middleware: every response (JSON, error pages, the Host refusal) says ``nosniff``, so
    a browser never reads one as another type."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-content-type-options"]
                message = {**message, "headers": [*kept, (b"x-content-type-options", b"nosniff")]}
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


_DATED = re.compile(r"-\d{4}-\d\d-\d\d-\d{4}$")


def create_app(
    db: Path, digests_dir: Path | None = None, hosts: Sequence[str] = LOCAL_HOSTS, watches: Any = None
) -> Any:  # fmt: skip
    """The ASGI app. ``db`` is opened read-only per request; ``digests_dir`` is optional; requests
    whose Host is not one of ``hosts`` (:func:`allowed_hosts`) get a 400; with ``watches`` (the
    user's :class:`~pipeline.watch.Watches`) the home page lists the watched stories first."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    for pattern in hosts:  # Starlette reads "*" as "any host" and fails on other stars at the first request
        if "*" in pattern.removeprefix(_WILDCARD) or pattern == _WILDCARD:
            raise UsageError(f"Host pattern {pattern!r}: only a leading *. is a wildcard (the Host check stays on)")
    env = templates()  # the digest's: escaped, cleaned, dated, linked the same way
    env.filters["q"] = quote_path
    static = {
        "reader.js": ("application/javascript", env.loader.get_source(env, "reader.js")[0]),
        "reader.css": ("text/css", env.loader.get_source(env, "reader.css")[0]),
    }

    def wants_json(request: Request) -> bool:
        return request.query_params.get("format") == "json" or "application/json" in request.headers.get("accept", "")

    def page(name: str, request: Request, data: dict[str, Any], status: int = 200) -> Response:
        if wants_json(request):
            return JSONResponse(data, status_code=status, headers={"Vary": "Accept"})
        html = env.get_template(name).render(**data)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP, "Vary": "Accept"})

    def with_index(fn: Callable[[Store, Request], Response]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                with Store(db, readonly=True) as store:
                    return fn(store, request)
            except StoreError as exc:
                return page("reader_error.html.j2", request, {"error": exc.message, "status": 503}, 503)

        return endpoint

    def not_found(request: Request, what: str) -> Response:
        return page("reader_error.html.j2", request, {"error": f"no such {what}", "status": 404}, 404)

    def windowed(request: Request, default: int) -> dict[str, Any] | Response:
        try:
            return window(window_days(request.query_params.get("days"), default))
        except UsageError as exc:
            return page("reader_error.html.j2", request, {"error": exc.message, "status": 400}, 400)

    def home(store: Store, request: Request) -> Response:
        w = windowed(request, 1)
        if isinstance(w, Response):
            return w
        found = store.stories_taken(w["since"], limit=50)
        listed = [story_entry(s) for s in watched_first(store, watches, found)]
        loose = [_row(b) for b in store.loose_taken(w["since"], limit=50)]
        top = store.entities(top=15, since=w["since"], taken=True)  # the stories' window
        marked = watched_keys(store, watches)
        for e in top:
            e["watched"] = e["key"] in marked
        data = {"window": w, "stories": listed, "articles": loose, "top": top, "q": "", "count": store.count()}
        return page("reader_home.html.j2", request, data)

    def watch(store: Store, request: Request) -> Response:
        w = windowed(request, 30)
        if isinstance(w, Response):
            return w
        try:
            data = watch_view(store, watches, request.path_params["name"], w["since"])
        except UsageError:
            return not_found(request, "watch")
        return page("reader_watch.html.j2", request, {"window": w, **data})

    def search(store: Store, request: Request) -> Response:
        q = request.query_params.get("q", "")
        hits = [_row(h) for h in store.search(q, limit=50)] if q.strip() else []
        return page("reader_search.html.j2", request, {"q": q, "hits": hits})

    def article(store: Store, request: Request) -> Response:
        try:
            article_id = int(request.path_params["id"])
            a = store.get(article_id)
        except (ValueError, NoSuchArticle):  # a damaged index is the StoreError page, not a 404
            return not_found(request, "article")
        data = article_view(a, article_id)
        story_id = store.story_of(article_id)
        s = store.story(story_id) if story_id is not None else None
        # a story of this one article is the article itself: no link
        data["story"] = {"id": s["id"], "title": s["title"], "size": s["size"]} if s and s["size"] > 1 else None
        return page("reader_article.html.j2", request, data)

    def stories(store: Store, request: Request) -> Response:
        w = windowed(request, 7)
        if isinstance(w, Response):
            return w
        listed = [story_entry(s) for s in store.stories_taken(w["since"], limit=100)]
        return page("reader_stories.html.j2", request, {"window": w, "stories": listed})

    def story(store: Store, request: Request) -> Response:
        try:
            found = store.story(int(request.path_params["id"]))
        except (ValueError, NoSuchArticle):
            return not_found(request, "story")
        texts = {}
        for src in (found["brief"] or {}).get("sources") or []:
            aid = src.get("article_id")
            if isinstance(aid, int) and aid not in texts:
                try:
                    texts[aid] = store.get(aid).text
                except NoSuchArticle:
                    continue  # the article left the index: its source is listed without its text
        try:
            data = story_view(found, texts)
        except (ValueError, TypeError, AttributeError) as exc:  # its brief's JSON was damaged
            error = f"story {found['id']} is damaged in the index ({type(exc).__name__})"
            return page("reader_error.html.j2", request, {"error": error, "status": 503}, 503)
        return page("reader_story.html.j2", request, data)

    def entity(store: Store, request: Request) -> Response:
        e = store.entity(request.path_params["name"])
        if e is None:
            return not_found(request, "entity")
        days = store.entity_days(e["id"])
        data = {
            "entity": e,
            "chart": chart(days),
            "articles": [_row(b) for b in store.entity_articles(e["id"])],
        }
        return page("reader_entity.html.j2", request, data)

    def digests(request: Request) -> Response:
        """The digests written there, newest first, each with when it was written."""
        files = []
        if digests_dir is not None and digests_dir.is_dir():
            found = []
            for p in digests_dir.iterdir():
                if p.suffix in DIGEST_TYPES and _DIGEST_NAME.match(p.name) and p.is_file():
                    with contextlib.suppress(OSError):
                        found.append((p.stat().st_mtime, p.name))
            stems = {_DATED.sub("", Path(name).stem) for _, name in found if _DATED.search(Path(name).stem)}
            # the file a cron job rewrites each morning (--out) beside its dated copies: "latest", first
            latest = {name for _, name in found if Path(name).stem in stems}
            for mtime, name in sorted(found, key=lambda f: (-f[0], f[1] not in latest, f[1])):
                when = dt.datetime.fromtimestamp(mtime, dt.UTC)
                files.append({"name": name, "written": when.strftime("%Y-%m-%d %H:%M UTC"), "latest": name in latest})
        return page("reader_digests.html.j2", request, {"files": files, "configured": digests_dir is not None})

    def digest_file(request: Request) -> Response:
        name = request.path_params["name"]
        if digests_dir is None or not _DIGEST_NAME.match(name) or Path(name).suffix not in DIGEST_TYPES:
            return not_found(request, "digest")
        path = digests_dir / name
        if not path.is_file() or path.resolve().parent != digests_dir.resolve():
            return not_found(request, "digest")
        try:
            body = path.read_bytes()
        except OSError:
            return not_found(request, "digest")
        return Response(body, media_type=DIGEST_TYPES[path.suffix], headers={"Content-Security-Policy": DIGEST_CSP})

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return PlainTextResponse("not found", status_code=404)
        ctype, text = static[name]
        return Response(text, media_type=ctype)

    routes = [
        Route("/", with_index(home)),
        Route("/search", with_index(search)),
        Route("/article/{id}", with_index(article)),
        Route("/stories", with_index(stories)),
        Route("/story/{id}", with_index(story)),
        Route("/entity/{name:path}", with_index(entity)),
        Route("/watch/{name:path}", with_index(watch)),
        Route("/digests/", digests),
        Route("/digests/{name}", digest_file),
        Route("/static/{name}", asset),
    ]

    async def unknown(request: Request, exc: Exception) -> Response:
        return not_found(request, "page")

    # outermost first: nosniff on every answer, then the Host check before any route runs
    middleware = [
        Middleware(_Nosniff),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts), www_redirect=False),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={404: unknown})


def _row(obj: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(obj)
