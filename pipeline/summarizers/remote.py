"""The quality writer on an LLM server the user runs: any OpenAI-compatible HTTP API
(llama.cpp's ``llama-server``, Ollama, vLLM, a hosted API).

Implements :class:`~pipeline.summarizers.recipe.ChatModel`, so the recipe (facts → TLDR →
paragraphs, chunking with map-reduce, coverage), the faithfulness gate, the relation check and
provenance run exactly as with the bundled model. What the server says is untrusted input like a
page: replies are size-capped, bounded by one deadline per request (the fetcher's transport: at
most ``llm_timeout``, and never past the end of the run's time budget), their control characters
stripped, and anything not shaped as the API promises is that article's
:class:`~pipeline.errors.WriterFailed`, never a crash of the run. The API key is read from the
environment variable the user names and goes only into the Authorization header: never into a
message, a log line or an error. A server may echo it back (in a model id, a reply, an error
message): every string of every reply has it replaced by ``[key]`` as the reply is decoded
(:meth:`RemoteChat._once`), before anything reads it. The model ids a server lists are shown and
stored cleaned of control and bidi characters and at most ``MODEL_ID_CAP`` characters long. One
HTTP client per writer: its kept-alive connections (one per request in flight) carry every
request, rather than a connection (and a TCP handshake) per request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import BudgetSpent, ModelError, PipelineError, TooLargeError, UsageError, WriterFailed
from ..policy import Policy
from ..settings import Settings, url_problem
from ..text import strip_controls
from .chunking import estimate_tokens

if TYPE_CHECKING:  # the recipe (and the gate's NLP) is imported when a reply is made, not to check a URL
    from .recipe import Generation, Message

log = logging.getLogger(__name__)

REPLY_CAP = 2_000_000  # bytes of one reply; a chat completion of a few hundred tokens is a few KB
RETRY_STATUS = frozenset({429, 503})  # busy or loading: worth waiting for; anything else is not
RETRIES = 3
BACKOFF = 1.0  # seconds before the first retry, doubled each time (or the server's Retry-After)
MODEL_ID_CAP = 200  # characters of a server's model id shown and stored (real ids are under 100)
KEY_SHOWN = "[key]"  # what a server's echo of the API key becomes
# A reasoning model (Qwen3, DeepSeek-R1 on Ollama) may put its thinking in the content, tags in any case.
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)


class _Unreadable(WriterFailed):
    """The server answered, with a body we cannot use (over the cap, not JSON): unlike a refused
    connection or a timeout, it is still there. Connecting with ``llm_model`` set does without
    such a model list."""


# time.monotonic() at which the run's budget ends, for a writer connecting now (see budget_ends)
_BUDGET_END: ContextVar[float | None] = ContextVar("budget_end", default=None)


@contextlib.contextmanager
def budget_ends(deadline: float | None) -> Iterator[None]:
    """A writer that connects inside this block (loaded on first use, when the digest first needs
    it) makes its first requests, too, within the run's budget; once loaded, its budget is set
    with ``RecipeSummarizer.until``."""
    token = _BUDGET_END.set(deadline)
    try:
        yield
    finally:
        _BUDGET_END.reset(token)


def endpoints(url: str) -> tuple[str, str]:
    """(server root, OpenAI API base) from what the user gave: ``http://h:8080`` or ``…/v1``; a
    :class:`UsageError` (exit 2, before any request) for anything that is no such URL."""
    problem = url_problem(url.strip())
    base = url.strip().rstrip("/")
    if problem:  # the URL itself is not echoed: it may hold a password
        raise UsageError(f"llm_url (--llm-url) {problem}: give the server's URL, e.g. http://127.0.0.1:8080")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    return root, root + "/v1"


def unaddressed(message: str, url: str) -> str:
    """``message`` without the address of the LLM server at ``url`` (an internal host, perhaps):
    what a published page (the digest's failure list) may say; the run's stderr keeps it all."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return message
    if not parts.netloc or not parts.hostname:
        return message
    at = rf"(?:[a-z][a-z0-9+.-]*://)?{re.escape(parts.netloc)}(?:[/?#]\S*?)?(?=:?(?:\s|$))"  # a URL of the server
    message = re.sub(rf"\bLLM server {at}", "LLM server", message, flags=re.I)  # "LLM server http://h:8080/v1: …"
    message = re.sub(at, "the LLM server", message, flags=re.I)
    # its host alone: "cannot resolve host gpu-box"
    return re.sub(rf"(?<![\w.-]){re.escape(parts.hostname)}(?![\w-]|\.\w)", "the LLM server", message, flags=re.I)


def shown_id(model: str) -> str:
    """A model id as it is shown and stored: the server's text, so cleaned of control and bidi
    characters, on one line, at most ``MODEL_ID_CAP`` characters."""
    text = " ".join(strip_controls(model).split())
    return text if len(text) <= MODEL_ID_CAP else text[: MODEL_ID_CAP - 1] + "…"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: Any  # the decoded JSON (None when the body is not JSON)
    retry_after: float | None = None


def _no_model_listed(chat: RemoteChat, status: int, data: Any) -> str:
    """Why no model can be picked, saying what answered: a server whose /v1/models is missing or
    not a model list may be no OpenAI-compatible API at all (a web page's server, a wrong path),
    which "set llm_model" alone did not say."""
    if status == 200 and isinstance(data, list):
        return f"LLM server {chat.url} lists no model: set llm_model (--llm-model)"
    said = "is HTTP 404" if status == 404 else "is not an OpenAI model list (no data list)"
    return (f"LLM server {chat.url} does not answer as an OpenAI-compatible API: {chat.api}/models {said}; "
            "is the URL the API's (llama-server, Ollama, vLLM)? One without a model list needs llm_model "
            "(--llm-model)")  # fmt: skip


class RemoteChat:
    """One OpenAI-compatible endpoint; thread-safe (one client, shared), ``slots`` requests at once."""

    def __init__(
        self,
        url: str,
        model: str,
        context: int,
        settings: Settings,
        api_key: str = "",
        tokenizer: str = "",
    ) -> None:
        self.url = url  # settings refuse a user:password@ part: the key has its own variable
        self.root, self.api = endpoints(url)
        self.model = model  # as the server names it in requests
        self.model_id = shown_id(model)  # as it is shown and stored
        self.context = context
        self.slots = settings.llm_concurrency  # the recipe writes this many articles at once
        self.timeout = settings.llm_timeout
        self.tokenizer = tokenizer  # "llama.cpp", "vllm" or "" (estimate)
        self._headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": settings.user_agent}
        self._key = api_key
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        # the user's own endpoint: loopback and private addresses are the normal case
        self._policy = replace(Policy.trusted(settings), max_bytes=REPLY_CAP, timeout=settings.llm_timeout)
        # time.monotonic() at which the run's budget ends (digest --budget; None: no budget): no
        # request starts after it, and each is given at most the time left (BudgetSpent)
        self.deadline: float | None = None
        self._client: Any = None  # httpx.Client and its transport, made on first use
        self._transport: Any = None
        self._mu = threading.Lock()

    @property
    def counts_by_request(self) -> bool:
        """Is every token count an HTTP request? (Then the recipe counts an article once, not each
        of its sentences.) Without the server's tokenizer, counts are local estimates."""
        return bool(self.tokenizer)

    # ------------------------------------------------------------------ connecting
    @classmethod
    def connect(cls, settings: Settings) -> RemoteChat:
        """Ask the server which model, context and tokenizer it has; a :class:`ModelError` (a
        setup problem, said in one line) when it cannot be reached or has no such model. Inside
        :func:`budget_ends`, these requests end by the run's budget's end too."""
        chat = cls(settings.llm_url, settings.llm_model, settings.llm_context, settings, api_key(settings))
        chat.deadline = _BUDGET_END.get()
        try:
            listed = chat._get(chat.api + "/models")
        except BudgetSpent:
            raise  # not a setup problem: the run's time is up
        except _Unreadable as exc:  # it answered (so it is there), with a list we cannot read
            if not chat.model:
                reason = exc.message.removeprefix(f"LLM server {chat.url}: ")
                raise ModelError(f"LLM server {chat.url}: its model list (/v1/models) cannot be read ({reason}): "
                                 "name the model with llm_model (--llm-model)") from None  # fmt: skip
            log.info(
                "LLM server %s: model list not read (%s); using the model %s", chat.url, exc.message, chat.model_id
            )
            listed = Reply(404, None)  # as a server without a list: llm_model names the model
        except WriterFailed as exc:
            raise ModelError(exc.message) from None
        data = _dict(listed.data).get("data") if listed.status == 200 else None
        models = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        ids = [m["id"] for m in models if isinstance(m.get("id"), str) and m["id"]]
        if listed.status in (401, 403):
            raise ModelError(f"LLM server {chat.url}: HTTP {listed.status} (is llm_api_key_env set?)")
        if listed.status not in (200, 404):  # 404: no model list (then llm_model names the model)
            raise ModelError(f"LLM server {chat.url}: HTTP {listed.status}{chat._error_text(listed.data)}")
        if not chat.model:
            if not ids:
                raise ModelError(_no_model_listed(chat, listed.status, data))
            chat.model = ids[0]
        elif ids and chat.model not in ids:
            has = ", ".join(shown_id(i) for i in ids[:10])
            raise ModelError(f"LLM server {chat.url} has no model {chat.model_id!r}; it has: {has}")
        chat.model_id = shown_id(chat.model)
        entry = next((m for m in models if m.get("id") == chat.model), {})
        chat.context = chat._server_context(entry) or settings.llm_context
        chat.tokenizer = chat._probe_tokenizer()
        log.info("LLM server %s: model %s, context %d, tokens %s", chat.url, chat.model_id, chat.context,
                 chat.tokenizer or "estimated")  # fmt: skip
        return chat

    def _server_context(self, entry: dict[str, Any]) -> int:
        """The context one request may use: vLLM lists ``max_model_len``; llama.cpp's /props says
        each slot's ``n_ctx``. 0 when the server does not say (then ``llm_context``)."""
        if isinstance(entry.get("max_model_len"), int):
            return int(entry["max_model_len"])
        try:
            props = self._get(self.root + "/props")
        except BudgetSpent:
            raise
        except WriterFailed:
            return 0
        n_ctx = _dict(_dict(props.data).get("default_generation_settings")).get("n_ctx")
        if props.status != 200:
            return 0
        return n_ctx if isinstance(n_ctx, int) and 0 < n_ctx < 10_000_000 else 0

    def _probe_tokenizer(self) -> str:
        for kind in ("llama.cpp", "vllm"):
            try:
                if self._tokenize("Hello, world.", kind, retry=False) > 0:
                    return kind
            except BudgetSpent:
                raise
            except WriterFailed:
                continue
        return ""

    # ------------------------------------------------------------------ ChatModel
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not self.tokenizer:
            return [estimate_tokens(t) for t in texts]
        return [self._tokenize(t, self.tokenizer) for t in texts]

    def chat(self, messages: Sequence[Message], max_tokens: int) -> Generation:
        from .recipe import Generation

        body = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0.0,  # greedy: the same brief every time, as with the bundled model
            "stream": False,
        }
        t0 = time.perf_counter()
        reply = self._post(self.api + "/chat/completions", body)
        data = reply.data
        if reply.status != 200:
            raise self._failed(f"HTTP {reply.status}{self._error_text(data)}")
        if not isinstance(data, dict):
            raise self._failed("the reply is not a JSON object")
        choices = data.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else None
        message = first.get("message") if isinstance(first, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise self._failed("the reply has no choices[0].message.content")
        usage = _dict(data.get("usage"))
        details = _dict(usage.get("prompt_tokens_details"))
        return Generation(
            # redacted at decoding, and once more: pieces of the key around a thought (or a control
            # character) would be joined by taking it out
            self._redact(strip_controls(_THINK.sub("", content))),
            _int(usage.get("prompt_tokens")),
            _int(details.get("cached_tokens")),
            _int(usage.get("completion_tokens")),
            time.perf_counter() - t0,
        )

    # ------------------------------------------------------------------ HTTP
    def _tokenize(self, text: str, kind: str, retry: bool = True) -> int:
        """Tokens of ``text`` by the server's own tokenizer (llama.cpp's or vLLM's /tokenize)."""
        body: dict[str, Any] = {"content": text, "add_special": False}  # llama.cpp's shape
        if kind == "vllm":
            body = {"model": self.model, "prompt": text, "add_special_tokens": False}
        reply = self._post(self.root + "/tokenize", body, retry=retry)
        if reply.status != 200:
            raise self._failed(f"/tokenize: HTTP {reply.status}{self._error_text(reply.data)}")
        data = _dict(reply.data)
        tokens = data.get("tokens")
        n = data.get("count") if kind == "vllm" else len(tokens) if isinstance(tokens, list) else None
        if not isinstance(n, int) or not 0 <= n < 10_000_000:
            raise self._failed("/tokenize replied with no token count")
        return n

    def _get(self, url: str) -> Reply:
        return self._request("GET", url, None, retry=False)

    def _post(self, url: str, body: dict[str, Any], retry: bool = True) -> Reply:
        return self._request("POST", url, body, retry)

    def _request(self, method: str, url: str, body: dict[str, Any] | None, retry: bool) -> Reply:
        """One request (a 429/503 retried with backoff while the deadline allows), its JSON body
        read under the cap and the deadline; every failure a :class:`WriterFailed` in one line.
        The deadline is ``llm_timeout`` from now, or the end of the run's budget when that comes
        first; once the budget has ended no request starts (:class:`BudgetSpent`)."""
        now = time.monotonic()
        deadline = now + self.timeout
        if self.deadline is not None:
            if now >= self.deadline:
                raise self._failed("the time budget ended before this brief was written", BudgetSpent)
            deadline = min(deadline, self.deadline)
        for attempt in range(RETRIES + 1):
            reply = self._once(method, url, body, deadline)
            if not retry or reply.status not in RETRY_STATUS or attempt == RETRIES:
                return reply
            wait = reply.retry_after if reply.retry_after is not None else BACKOFF * 2**attempt
            if time.monotonic() + wait >= deadline:
                return reply
            log.info("LLM server %s: HTTP %d, retrying in %.1fs", self.url, reply.status, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _http(self) -> tuple[Any, Any]:
        """The writer's one client and its transport (connections kept alive, ``slots`` of them:
        one per request in flight), made on first use."""
        import httpx

        from ..fetch import PolicyTransport

        with self._mu:
            if self._client is None:
                # no fixed deadline: each request runs under its own (transport.until)
                self._transport = PolicyTransport(self._policy, self.url, None, connections=max(1, self.slots))
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout),
                    headers=self._headers,
                    follow_redirects=False,
                    trust_env=False,  # the article goes only where the user said, never via a proxy env
                    transport=self._transport,
                )
                # a writer dropped without close() (a library caller, a finished run) closes its
                # kept-alive sockets when it is collected instead of leaking them
                weakref.finalize(self, self._client.close)
            return self._client, self._transport

    def close(self) -> None:
        """Close the kept-alive connections (the next request opens one again)."""
        with self._mu:
            client, self._client, self._transport = self._client, None, None
        if client is not None:
            client.close()

    def _once(self, method: str, url: str, body: dict[str, Any] | None, deadline: float) -> Reply:
        import httpcore
        import httpx

        try:
            try:
                status, raw, retry_after = self._exchange(method, url, body, deadline)
            except httpx.RemoteProtocolError:
                # a kept-alive connection the server had just closed ("disconnected without sending
                # a response"): once more, on a new connection
                status, raw, retry_after = self._exchange(method, url, body, deadline)
        except TooLargeError as exc:  # over the cap
            raise self._failed(exc.message, _Unreadable) from None
        except PipelineError as exc:  # a refused address
            raise self._failed(exc.message) from None
        except (httpx.TimeoutException, httpcore.TimeoutException):
            if self.deadline is not None and time.monotonic() >= self.deadline - 0.01:
                raise self._failed("the time budget ended during a request", BudgetSpent) from None
            raise self._failed(f"no complete reply within {self.timeout:g}s (llm_timeout)") from None
        except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            reason = "connection refused" if isinstance(exc, httpx.ConnectError) else f"network error: {exc}"
            raise self._failed(reason) from None
        except ValueError as exc:  # a malformed URL or header
            raise self._failed(str(exc)) from None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's stack
            if status == 200:
                raise self._failed("the reply is not JSON", _Unreadable) from None
            data = None
        # where the server's text enters: nothing reads a reply before the key is out of it
        return Reply(status, self._redact_all(data), _seconds(retry_after))

    def _exchange(self, method: str, url: str, body: dict[str, Any] | None, deadline: float) -> tuple[int, bytes, str]:
        """(status, body, Retry-After) of one request on the writer's client, every step of it
        (connect, send, headers, body) within ``deadline``; the HTTP library's errors as they are."""
        import httpx

        from ..fetch import read_body, time_left

        client, transport = self._http()
        left = time_left(deadline, None, httpx.ConnectTimeout)  # what this request may take, at most
        with (
            transport.until(deadline),
            client.stream(method, url, json=body, timeout=httpx.Timeout(left)) as resp,
        ):
            raw = read_body(resp, REPLY_CAP, "", deadline, "reply")  # the fetcher's cap and deadline rules
            return resp.status_code, raw, resp.headers.get("retry-after", "")

    def _failed(self, message: str, kind: type[WriterFailed] = WriterFailed) -> WriterFailed:
        """This server's error, in one line, never showing the key (an HTTP library may quote a
        header it refused; the server's own words were redacted as they were decoded)."""
        return kind(self._redact(f"LLM server {self.url}: {' '.join(strip_controls(message).split())}"))

    def _error_text(self, data: Any) -> str:
        """The server's own error message (redacted as it was decoded), shortened and made safe (it
        is shown to the user)."""
        err = data.get("error") if isinstance(data, dict) else None
        message = err.get("message") if isinstance(err, dict) else err
        if not isinstance(message, str) or not message.strip():
            return ""
        return ": " + " ".join(strip_controls(message).split())[:200]

    def _redact(self, text: str) -> str:
        """``text`` with the API key replaced by ``[key]``, also where characters that are stripped
        later (control, bidi, zero-width) split it."""
        key = self._key
        if not key:
            return text
        text = text.replace(key, KEY_SHOWN)
        bare = strip_controls(text)
        return bare.replace(key, KEY_SHOWN) if key in bare else text

    def _redact_all(self, data: Any) -> Any:
        """A decoded reply with every string in it redacted (:meth:`_redact`), in place; iterative,
        as a reply may nest as deep as the JSON decoder allows."""
        if not self._key:
            return data
        if isinstance(data, str):
            return self._redact(data)
        stack = [data] if isinstance(data, (list, dict)) else []
        while stack:
            node = stack.pop()
            for k, v in node.items() if isinstance(node, dict) else enumerate(node):
                if isinstance(v, str):
                    node[k] = self._redact(v)
                elif isinstance(v, (list, dict)):
                    stack.append(v)
        return data


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _seconds(value: str) -> float | None:
    """A Retry-After of delay-seconds (an HTTP date or anything else: None, our own backoff)."""
    try:
        wait = float(value) if value.isascii() else math.nan
    except ValueError:
        return None
    return min(wait, 3600.0) if math.isfinite(wait) and wait >= 0 else None


_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def api_key(settings: Settings) -> str:
    """The key from the environment variable ``llm_api_key_env`` names ("" = none), or a
    :class:`ModelError` that names the variable and never shows the key."""
    name = settings.llm_api_key_env
    if not name:
        return ""
    if not _VAR.fullmatch(name):  # someone pasted the key itself: do not echo it
        raise ModelError("llm_api_key_env must be the NAME of an environment variable (letters, digits, _), not a key")
    key = os.environ.get(name, "").strip()  # a CRLF .env file leaves a \r
    if not key:
        raise ModelError(f"the environment variable {name} (llm_api_key_env) is empty")
    if not all("\x21" <= c <= "\x7e" for c in key):
        raise ModelError(f"the key in {name} has spaces, control or non-ASCII characters")
    return key
