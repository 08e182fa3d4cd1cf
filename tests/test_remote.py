"""Quality mode on an OpenAI-compatible LLM server: a hostile stub on 127.0.0.1 for every failure
class, and the bundled GGUF behind llama.cpp's own HTTP server for the real path."""

from __future__ import annotations

import http.server
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, SEED, Handler

from pipeline.cli import main
from pipeline.errors import BudgetSpent, ModelError, UsageError, WriterFailed
from pipeline.extract import extract
from pipeline.lang import ENGLISH
from pipeline.policy import Policy
from pipeline.sources import read_file
from pipeline.summarizers import remote
from pipeline.summarizers.recipe import Generation, RecipeSummarizer
from pipeline.summarizers.remote import RemoteChat, endpoints, estimate_tokens

KEY = "sk-test-7d1e0c5a9b"  # a key the tests hand the writer through the environment

ASK_FACTS, ASK_TLDR = ENGLISH.prompts.ask_facts, ENGLISH.prompts.ask_tldr


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def echo_reply(messages: list[dict[str, str]]) -> str:
    """What a well-behaved writer answers: the article's own sentences (so the gate keeps them)."""
    first = messages[1]["content"]
    body = first.split("Article:\n", 1)[-1].split(f"\n\n{ASK_FACTS}")[0]
    sents = _sentences(body) or ["Nothing."]
    ask = messages[-1]["content"]
    if ask.endswith(ASK_FACTS):
        return "\n".join(f"- {s}" for s in sents[:3])
    if ask == ASK_TLDR:
        return sents[0]
    return " ".join(sents[1:3]) + "\n\n" + " ".join(sents[3:5])


class Stub(Handler):
    """An OpenAI-compatible server that misbehaves on purpose: the first path segment of the URL
    the writer is given picks how (``http://127.0.0.1:PORT/<mode>``)."""

    chats = 0  # chat completions answered, across modes
    posts = 0  # every POST, answered or refused
    busy_left = 0  # "busy": answers 429 this many times first
    in_flight = 0  # "slow": requests being answered now, and the most at once
    most_at_once = 0
    mu = threading.Lock()
    pages: dict[str, bytes] = {}  # GET /site/<name>: feeds and articles for digests
    tokenized = 0  # "tok", "sleepy": /tokenize requests answered
    facts = 0  # chat completions that asked for an article's (or a part's) facts
    nap = 0.0  # "sleepy": seconds before each chat completion is answered
    peers: set[tuple[str, int]] = set()  # KeepAlive: the connections made to it
    thinking = ("<think>The user wants a summary; I will invent nothing.</think>", "")  # "think": around the reply
    asked: list[str] = []  # "bidi": the model each chat completion asked for

    def send(self, code: int, body: bytes | dict, ctype: str = "application/json", **headers: str) -> None:
        super().send(code, json.dumps(body).encode() if isinstance(body, dict) else body, ctype, **headers)

    def token(self) -> str:
        """The key the writer sent: what a hostile server echoes back."""
        return self.headers.get("Authorization", "").removeprefix("Bearer ")

    def do_GET(self) -> None:
        mode, _, rest = self.path.strip("/").partition("/")
        if mode == "leak" and rest == "v1/models":
            self.send(200, {"data": [{"id": f"m-{self.token()}"}]})
        elif mode == "bidi" and rest == "v1/models":  # an id that reorders and colours a terminal line
            self.send(200, {"data": [{"id": BIDI_ID}]})
        elif mode == "biglist" and rest == "v1/models":  # 3 MB of models
            self.send(200, {"data": [{"id": f"model-{i:07d}", "object": "model"} for i in range(75_000)]})
        elif mode == "empty" and rest == "v1/models":  # an OpenAI API that lists no model
            self.send(200, {"object": "list", "data": []})
        elif mode == "listy":  # JSON, but not the shapes the API promises
            self.send(200, b'[{"id": "m"}]' if rest == "v1/models" else b"[1]")
        elif mode == "site" and rest in Stub.pages:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml" if rest.endswith(".xml") else "text/html")
            self.end_headers()
            self.wfile.write(Stub.pages[rest])
        elif mode == "auth" and self.headers.get("Authorization") != f"Bearer {KEY}":
            self.send(401, {"error": {"message": "bad key"}})
        elif rest == "v1/models" and mode != "nothing":  # "nothing": a server without a model list
            self.send(200, {"object": "list", "data": [{"id": "stub-model", "object": "model"}]})
        else:
            self.send(404, {"error": "no such route"})

    def do_POST(self) -> None:
        mode, _, rest = self.path.strip("/").partition("/")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        Stub.posts += 1
        if mode == "vllmbig" and rest == "tokenize":
            self.send(200, b'{"count": 1e400, "tokens": 7}')
            return
        if mode in ("tok", "sleepy") and rest == "tokenize":  # llama.cpp's shape: one text, its tokens
            with Stub.mu:
                Stub.tokenized += 1
            self.send(200, {"tokens": [7] * len(TOKEN.findall(str(body.get("content", ""))))})
            return
        if rest != "v1/chat/completions":
            self.send(404, {"error": "no such route"})  # no /tokenize: the writer estimates
            return
        if mode == "auth" and self.headers.get("Authorization") != f"Bearer {KEY}":
            self.send(401, {"error": {"message": "bad key"}})
        elif mode == "leak":  # the key in the reply: whole, split by a control character, around a thought
            t = self.token()
            text = f"Plain {t}. Split {t[:5]}\u202e{t[5:]}. Thought {t[:5]}<think>x</think>{t[5:]}."
            self.send(200, {"choices": [{"message": {"content": text}}]})
        elif mode == "leakerr":  # the key where the error message is cut (200 characters)
            self.send(500, {"error": {"message": "x" * 190 + self.token()}})
        elif mode == "busy" and Stub.busy_left > 0:
            Stub.busy_left -= 1
            self.send(429, {"error": {"message": "slow down"}})  # no Retry-After: our own backoff
        elif mode == "echo":  # a server that quotes the request back in its error
            self.send(500, {"error": {"message": f"bad request: Authorization: {self.headers.get('Authorization')}"}})
        elif mode == "weird":  # a Retry-After no float() takes, and JSON deeper than Python's stack
            self.send(200, b"[" * 200_000, Retry_After="\xb2")
        elif mode == "down":
            self.send(503, {"error": {"message": "loading model"}}, Retry_After="5")
        elif mode == "boom":
            self.send(500, {"error": {"message": "boom \x1b]52;c;aGk=\x07 at layer 3"}})
        elif mode == "badjson":
            self.send(200, b"<html>not an API</html>")
        elif mode == "nochoices":
            self.send(200, {"choices": []})
        elif mode == "huge":
            self.send(200, b'{"choices": [{"message": {"content": "' + b"a" * 10_000_000 + b'"}}]}')
        elif mode == "flood":  # no Content-Length, and no end
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"a" * 65536)
        elif mode == "trickle":  # headers, then a byte at a time, never the end
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(600):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        elif mode == "slow":  # a server that batches: answers several requests at once
            with Stub.mu:
                Stub.in_flight += 1
                Stub.most_at_once = max(Stub.most_at_once, Stub.in_flight)
            time.sleep(0.2)
            with Stub.mu:
                Stub.in_flight -= 1
            self.send(200, {"choices": [{"message": {"content": echo_reply(body["messages"])}}]})
        elif mode == "sleepy":  # a server slower than the run's budget
            time.sleep(Stub.nap)
            self.send(200, {"choices": [{"message": {"content": echo_reply(body["messages"])}}]})
        elif mode == "think":
            text = Stub.thinking[0] + echo_reply(body["messages"]) + Stub.thinking[1]
            self.send(200, {"choices": [{"message": {"role": "assistant", "content": text}}]})
        else:
            if mode == "bidi":
                Stub.asked.append(body["model"])
            Stub.chats += 1
            Stub.facts += body["messages"][-1]["content"].endswith(ASK_FACTS)
            text = echo_reply(body["messages"])
            usage = {"prompt_tokens": 50, "completion_tokens": len(text.split())}
            self.send(200, {"model": "stub-model", "choices": [{"message": {"content": text}}], "usage": usage})


TOKEN = re.compile(r"\w+|[^\w\s]")  # the stub's tokenizer: a word or a punctuation mark
ARTICLE = [{"role": "system", "content": "x"}, {"role": "user", "content": "Article:\nIt rained."}]
BIDI_ID = "evil\u202egpt\x1b[31m-" + "x" * 5000


class KeepAlive(Stub):
    """The stub over HTTP/1.1, as llama-server speaks it: a client may send its next request on
    the same connection. Each connection made is recorded (``Stub.peers``)."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with Stub.mu:
            Stub.peers.add(self.client_address)


class StubServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the writer hangs up on purpose (caps, deadlines)


def serve(port: int = 0, handler: type[Stub] = Stub) -> tuple[StubServer, str]:
    httpd = StubServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    httpd, url = serve()
    yield url
    httpd.shutdown()
    httpd.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_endpoints_accept_the_root_or_the_v1_base():
    assert endpoints("http://h:8080") == ("http://h:8080", "http://h:8080/v1")
    assert endpoints("http://h:8080/v1/") == ("http://h:8080", "http://h:8080/v1")
    assert endpoints(" http://h/ollama/v1") == ("http://h/ollama", "http://h/ollama/v1")


def test_connect_finds_the_model_and_estimates_tokens_without_a_tokenizer(stub, settings):
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/ok"))
    assert chat.model_id == "stub-model" and chat.tokenizer == "" and chat.context == settings.llm_context
    assert chat.count_tokens(["one two three"]) == [estimate_tokens("one two three")]
    with pytest.raises(ModelError, match="has no model 'llama3'; it has: stub-model"):
        RemoteChat.connect(settings.replace(llm_url=stub + "/ok", llm_model="llama3"))
    with pytest.raises(ModelError, match="/nothing/v1 does not answer as an OpenAI-compatible API: .*/nothing/v1/"
                       r"models is HTTP 404; .* needs llm_model \(--llm-model\)$"):  # fmt: skip
        RemoteChat.connect(settings.replace(llm_url=stub + "/nothing/v1"))  # no /v1/models route
    with pytest.raises(ModelError, match="/empty lists no model: set llm_model"):  # an API, with an empty list
        RemoteChat.connect(settings.replace(llm_url=stub + "/empty"))
    assert RemoteChat.connect(settings.replace(llm_url=stub + "/nothing/v1", llm_model="m")).model_id == "m"


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("boom", r"HTTP 500: boom \]52;c;aGk= at layer 3$"),  # the server's words, control codes stripped
        ("down", "HTTP 503: loading model"),  # Retry-After 5 s is beyond the 2 s deadline: not waited for
        ("badjson", "the reply is not JSON"),
        ("nochoices", r"the reply has no choices\[0\].message.content"),
        ("huge", "reply of 10,000,043 bytes exceeds the 2,000,000-byte cap"),  # said by its Content-Length
        ("flood", "body exceeds the 2,000,000-byte cap"),  # no length: counted as it arrives
        ("trickle", r"no complete reply within 2s \(llm_timeout\)"),
    ],
)
def test_every_bad_reply_is_a_typed_error_of_the_request(stub, settings, mode, message):
    chat = RemoteChat(stub + f"/{mode}", "stub-model", 4096, settings.replace(llm_timeout=2.0))
    with pytest.raises(WriterFailed, match=message) as info:
        chat.chat([{"role": "user", "content": "Hello"}], 8)
    assert info.value.reason == "model_error" and "\x1b" not in info.value.message


def test_connection_refused_is_a_setup_error_at_connect_and_a_typed_error_per_request(settings):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ModelError, match=f"LLM server {url}: connection refused"):
        RemoteChat.connect(settings.replace(llm_url=url))
    with pytest.raises(WriterFailed, match="connection refused"):
        RemoteChat(url, "m", 4096, settings).chat([{"role": "user", "content": "Hi"}], 4)


def test_busy_server_is_retried_with_backoff_and_nothing_else_is(stub, settings, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(remote.time, "sleep", waits.append)
    Stub.busy_left, Stub.posts = 2, 0
    chat = RemoteChat(stub + "/busy", "stub-model", 4096, settings)
    reply = chat.chat([{"role": "system", "content": "x"}, {"role": "user", "content": "Article:\nA b c."}], 8)
    assert reply.text and Stub.posts == 3 and waits == [remote.BACKOFF, 2 * remote.BACKOFF]  # two 429s, then the answer
    Stub.posts = 0
    with pytest.raises(WriterFailed, match="HTTP 500"):
        RemoteChat(stub + "/boom", "stub-model", 4096, settings).chat([{"role": "user", "content": "Hi"}], 8)
    assert Stub.posts == 1 and len(waits) == 2  # a 500 is not retried


def test_replies_in_no_promised_shape_are_typed_errors_not_tracebacks(stub, settings):
    with pytest.raises(WriterFailed, match="the reply is not JSON"):
        RemoteChat(stub + "/weird", "m", 4096, settings).chat([{"role": "user", "content": "Hi"}], 8)
    with pytest.raises(ModelError, match=r"/listy/v1/models is not an OpenAI model list \(no data list\)"):
        RemoteChat.connect(settings.replace(llm_url=stub + "/listy"))
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/listy", llm_model="m"))
    assert chat.context == settings.llm_context  # /props was a list: the setting holds
    assert RemoteChat.connect(settings.replace(llm_url=stub + "/vllmbig")).tokenizer == ""  # a count of 1e400
    assert [remote._seconds(v) for v in ("2", "1.5", "\xb2", "nan", "-1", "1e400", "Wed, 21 Oct 2015")] == [
        2.0, 1.5, None, None, None, None, None]  # fmt: skip


@pytest.mark.parametrize(
    "thinking",
    [
        ("<think>The user wants a summary; I will invent nothing.</think>", ""),
        ("<THINK>The user wants a summary.</THINK>", ""),
        ("<Think>Mixed case.</tHiNk>", ""),
        ("", " <THINK>and then I ran out of tokens"),  # never closed: a reply cut at max_tokens
    ],
)
def test_reasoning_is_not_taken_for_the_answer(stub, settings, monkeypatch, thinking):
    monkeypatch.setattr(Stub, "thinking", thinking)
    chat = RemoteChat(stub + "/think", "stub-model", 4096, settings)
    article = {"role": "user", "content": f"Article:\nIt rained. Then sun.\n\n{ASK_FACTS}"}
    msgs = [{"role": "system", "content": "x"}, article, {"role": "user", "content": ASK_TLDR}]
    assert chat.chat(msgs, 60).text.strip() == "It rained."


def test_the_key_comes_from_the_named_variable_and_is_never_shown(stub, settings, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ModelError, match="NB_TEST_KEY .*is empty") as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env="NB_TEST_KEY"))
    with pytest.raises(ModelError, match="must be the NAME of an environment variable") as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env=KEY))  # the key itself
    assert KEY not in str(info.value)
    monkeypatch.setenv("NB_TEST_KEY", KEY[:4] + "\x1b" + KEY[4:])
    with pytest.raises(ModelError, match="the key in NB_TEST_KEY has spaces, control") as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env="NB_TEST_KEY"))
    assert KEY[4:] not in str(info.value)
    monkeypatch.setenv("NB_TEST_KEY", KEY + "\r\n")  # a CRLF .env file: the key is what is left
    assert RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env="NB_TEST_KEY")).model
    echo = RemoteChat(stub + "/echo", "m", 4096, settings, api_key=KEY)
    with pytest.raises(WriterFailed, match=r"Bearer \[key\]") as info:  # the server quoted it back
        echo.chat([{"role": "user", "content": "Hi"}], 4)
    assert KEY not in str(info.value)
    monkeypatch.setenv("NB_TEST_KEY", KEY + "x")  # a wrong key: refused, and not echoed
    with pytest.raises(ModelError, match="HTTP 401") as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env="NB_TEST_KEY"))
    assert KEY not in str(info.value)
    monkeypatch.setenv("NB_TEST_KEY", KEY)
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/auth", llm_api_key_env="NB_TEST_KEY"))
    assert chat.model_id == "stub-model" and KEY not in caplog.text and KEY not in chat.url


def test_a_server_that_echoes_the_key_gets_it_back_redacted_in_every_text(stub, settings, monkeypatch):
    """A hostile server puts the key in its model id, its reply (whole, split by a character that
    is stripped later, around a thought that is taken out) and in an error message just where it is
    cut at 200 characters: none of it reaches what is shown or stored (the brief, the model the
    output and the index name, the error)."""
    monkeypatch.setenv("NB_TEST_KEY", KEY)
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/leak", llm_api_key_env="NB_TEST_KEY"))
    writer = RecipeSummarizer(chat, settings.replace(relation_check=False))
    assert chat.model_id == writer.model_id == "m-[key]"
    text = chat.chat([{"role": "user", "content": "Hi"}], 8).text
    assert text == "Plain [key]. Split [key]. Thought [key]."
    with pytest.raises(WriterFailed) as info:
        RemoteChat(stub + "/leakerr", "m", 4096, settings, api_key=KEY).chat([{"role": "user", "content": "Hi"}], 8)
    assert info.value.message.endswith("HTTP 500: " + "x" * 190 + "[key]") and KEY[:6] not in str(info.value)


def test_server_model_ids_are_shown_cleaned_and_bounded_and_asked_for_as_listed(stub, settings):
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/bidi"))
    assert chat.model_id.startswith("evilgpt[31m-xxx") and len(chat.model_id) == remote.MODEL_ID_CAP
    assert not {"\u202e", "\x1b"} & set(chat.model_id)
    Stub.asked.clear()
    assert chat.chat(ARTICLE, 8).text
    assert Stub.asked == [BIDI_ID]  # the server is asked for its model by its own name
    with pytest.raises(ModelError) as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/bidi", llm_model="other"))
    assert "\u202e" not in info.value.message and "evilgpt" in info.value.message and len(info.value.message) < 400


def test_a_model_list_over_the_cap_matters_only_when_no_model_is_named(stub, settings):
    chat = RemoteChat.connect(settings.replace(llm_url=stub + "/biglist", llm_model="stub-model"))
    assert chat.model_id == "stub-model" and chat.chat(ARTICLE, 8).text
    with pytest.raises(ModelError) as info:
        RemoteChat.connect(settings.replace(llm_url=stub + "/biglist"))
    assert re.fullmatch(
        r"LLM server \S+/biglist: its model list \(/v1/models\) cannot be read \(reply of [\d,]+ bytes exceeds "
        r"the 2,000,000-byte cap\): name the model with llm_model \(--llm-model\)",
        info.value.message,
    )
    url = f"http://127.0.0.1:{free_port()}"  # a server that is not there is still a setup error
    with pytest.raises(ModelError, match="connection refused"):
        RemoteChat.connect(settings.replace(llm_url=url, llm_model="stub-model"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http//127.0.0.1:8080", "must start with http:// or https://"),
        ("ftp://127.0.0.1", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("http://:8080", "has no host"),
        ("http://127.0.0.1:99999", "is not a valid URL"),
        ("http://[::1", "is not a valid URL"),  # before: httpx.InvalidURL, a traceback
    ],
)
def test_a_malformed_llm_url_is_a_usage_error(url, problem):
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--mode", "quality", "--llm-url", url, str(SEED)])
    assert r.exit_code == 2, r.output
    [line] = r.stderr.splitlines()
    assert line.startswith(f"newsbrief: error: llm_url (--llm-url) {problem}") and line.endswith("[usage]")
    with pytest.raises(UsageError):
        endpoints(url)
    # the same check where the value came from the environment: it is named, and a setup error
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--mode", "quality", str(SEED)],
                           env={"NEWSBRIEF_LLM_URL": url})  # fmt: skip
    assert r.exit_code == 4, r.output
    [line] = r.stderr.splitlines()
    assert line.startswith(f"newsbrief: error: environment variable NEWSBRIEF_LLM_URL: llm_url {problem}")


def _articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    towns = ["Lyon", "Porto", "Ghent", "Turku", "Cork", "Graz", "Bari", "Split", "Brno", "Pecs"]
    out = []
    for i in range(n):
        town = towns[i % len(towns)]
        text = (
            f"The council of {town} approved budget number {i + 100} on Monday after a long debate. "
            f"The plan moves {i + 3} million euros to repairs of schools and bridges in {town}. "
            f"Opposition members said the repairs had been delayed for {i + 2} years already. "
            f"Work on the first bridge will start in {2030 + i % 5}, the mayor of {town} said. "
            f"Residents will be able to comment on the plan until the end of the month."
        )
        (folder / f"a{i:02d}.txt").write_text(f"Budget {i} approved in {town}\n\n{text}\n")
        out.append(folder / f"a{i:02d}.txt")
    return out


@pytest.mark.models
def test_a_batch_with_the_server_killed_halfway_loses_nothing(tmp_path, monkeypatch):
    """Articles in flight when the server dies are that article's model_error; the run goes on,
    and the next plain run writes exactly those."""
    _articles(tmp_path / "in", 50)
    port = free_port()
    httpd, url = serve(port)
    Stub.chats = 0
    original = Stub.do_POST

    def dies_halfway(self):  # 3 calls per article: facts, TLDR, paragraphs
        if Stub.chats >= 75:  # the server goes away mid-batch: this request and all later ones fail
            threading.Thread(target=lambda: (httpd.shutdown(), httpd.server_close())).start()
            self.close_connection = True
            return
        original(self)

    monkeypatch.setattr(Stub, "do_POST", dies_halfway)
    args = ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--mode", "quality", "--no-index",
            "-q", "--llm-url", url + "/ok"]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    done = [json.loads(x) for x in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    failed = [json.loads(x) for x in (tmp_path / "out/errors.jsonl").read_text().splitlines()]
    assert len(done) == 25 and len(failed) == 25 and {f["reason"] for f in failed} == {"model_error"}
    assert all(d["model"]["summarizer"] == "stub-model" for d in done)
    monkeypatch.setattr(Stub, "do_POST", original)
    httpd, _ = serve(port)  # the server is back
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    done = [json.loads(x) for x in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    assert len({d["source"] for d in done}) == 50 and (tmp_path / "out/errors.jsonl").read_text() == ""
    httpd.shutdown()
    httpd.server_close()


EVENTS = [
    ("Earthquake shakes Lisbon", "An earthquake of magnitude 6.1 shook Lisbon and damaged old houses near the river"),
    ("Warsaw passes cloud law", "Lawmakers in Warsaw passed a cloud certification law for hosting providers"),
    ("Storm closes Oslo airport", "A winter storm closed the airport of Oslo and stranded thousands of travellers"),
    ("Tokyo bank raises rates", "The central bank in Tokyo raised interest rates for the first time in years"),
    ("Chile copper mine strike", "Workers at a copper mine in northern Chile went on strike over pay and safety"),
]


def _site(stub: str, n: int) -> str:
    """A feed of ``n`` articles about ``n`` different events, served by the stub; returns its URL."""
    from html import escape

    from test_digest import rss

    items = []
    for i in range(n):
        title, lead = EVENTS[i]
        body = (f"<p>{lead} on Monday, officials said.</p><p>{lead}, witnesses told reporters, and more "
                f"details were expected later. {lead} after weeks of warnings.</p>")  # fmt: skip
        Stub.pages[f"a{i}.html"] = (f"<html><head><title>{escape(title)}</title></head><body><article>"
                                    f"<h1>{escape(title)}</h1>{body}</article></body></html>").encode()  # fmt: skip
        items.append((title, f"{stub}/site/a{i}.html", 1.0))
    Stub.pages["feed.xml"] = rss(items)
    return f"{stub}/site/feed.xml"


def _fast() -> Any:
    """Fast mode behind the real interfaces: every article of a digest gets its fast brief first."""
    from fakes import LeadSummarizer, rule_tagger

    from pipeline.core import Models
    from pipeline.settings import load_settings

    return Models(load_settings().replace(mode="fast"), summarizer=LeadSummarizer(), tagger=rule_tagger())


def test_a_digest_keeps_llm_concurrency_requests_in_flight_and_retries_failures(stub, settings, tmp_path):
    """Four stories, two written at once; a server that fails: each story shows its first
    article's fast brief, the failure is listed, and the next run writes them again."""
    from fakes import rule_tagger

    from pipeline import digest as dg
    from pipeline.core import Models
    from pipeline.store import Store, parse_since

    feed = _site(stub, 4)
    since = parse_since("7d")
    base = settings.replace(mode="quality", llm_concurrency=2, relation_check=False, allow_private_addresses=True)
    with Store(tmp_path / "index.db") as store:
        Stub.most_at_once = 0
        fine = base.replace(llm_url=stub + "/slow")
        d = dg.build([feed], fine, store, since, models=Models(fine, tagger=rule_tagger()), fast_models=_fast())
        assert len(d.articles) == 4 and len(d.stories) == 4 and not d.failures and Stub.most_at_once == 2
        assert {b.model["summarizer"] for b in d.stories} == {"stub-model"}
    with Store(tmp_path / "other.db") as store:
        broken = base.replace(llm_url=stub + "/boom")
        d = dg.build([feed], broken, store, since, models=Models(broken, tagger=rule_tagger()), fast_models=_fast())
        assert len(d.stories) == 4 and [f.reason for f in d.failures] == ["model_error"] * 4
        assert {b.model["summarizer"] for b in d.stories} == {"fake-lead"}  # the fast brief, shown
        assert d.seen == []  # not remembered: the next run writes them again
        again = dg.build([feed], fine.replace(llm_url=stub + "/slow"), store, since,
                         models=Models(fine, tagger=rule_tagger()), fast_models=_fast())  # fmt: skip
        assert again.reused == 4 and {b.model["summarizer"] for b in again.stories} == {"stub-model"}
        assert not any(b.update for b in again.stories)  # never shown before: no "Update"


def test_the_published_failure_list_does_not_show_the_llm_server_address(stub, settings, tmp_path):
    """The digest's readers see why a story has no quality brief, not where the writer runs; the
    run's stderr (the failure's message) keeps the address."""
    from fakes import rule_tagger

    from pipeline import digest as dg
    from pipeline.core import Models
    from pipeline.store import Store, parse_since

    feed = _site(stub, 2)  # the articles are on 127.0.0.1, the writer on "localhost"
    server = stub.replace("127.0.0.1", "localhost") + "/boom/v1"
    broken = settings.replace(mode="quality", llm_url=server, relation_check=False, allow_private_addresses=True)
    with Store(tmp_path / "index.db") as store:
        d = dg.build([feed], broken, store, parse_since("7d"), models=Models(broken, tagger=rule_tagger()),
                     fast_models=_fast())  # fmt: skip
    assert len(d.failures) == 2 and all(f.message.startswith(f"LLM server {server}: ") for f in d.failures)
    assert all(f.public.startswith("LLM server: ") for f in d.failures)
    for fmt in ("md", "html"):
        page = dg.render(d, fmt)
        assert "LLM server: " in page.split("Failures")[1] and "localhost" not in page


def test_the_in_process_digest_budget_buys_stories_in_quality_mode_while_it_lasts(stub, settings, tmp_path):
    """No LLM server: stories are written one at a time, each in quality mode while another
    fits the budget, then in fast mode; a failed fetch costs nothing. 100 s a quality brief, 1 s
    a fast one, 250 s of budget; feed: 1 article, 9 dead links, 3 articles (4 events)."""
    from fakes import LeadSummarizer, rule_tagger
    from test_digest import rss

    from pipeline import digest as dg
    from pipeline.core import Models
    from pipeline.store import Store, parse_since

    now = [0.0]

    class Timed(LeadSummarizer):
        def __init__(self, cost: float) -> None:
            super().__init__()
            self.cost = cost
            self.model_id = f"fake-{cost:g}s"

        def summarize_batch(self, articles):
            now[0] += self.cost * len(articles)
            return super().summarize_batch(articles)

    _site(stub, 4)
    links = [f"{stub}/site/a0.html", *(f"{stub}/site/gone{i}.html" for i in range(9))]
    links += [f"{stub}/site/a{i}.html" for i in (1, 2, 3)]
    Stub.pages["budget.xml"] = rss([(f"Item {i}", link, 1.0) for i, link in enumerate(links)])
    quality = settings.replace(mode="quality", allow_private_addresses=True)
    models = Models(quality, summarizer=Timed(100), tagger=rule_tagger())
    fast = Models(quality.replace(mode="fast"), summarizer=Timed(1), tagger=rule_tagger())
    with Store(tmp_path / "index.db") as store:
        d = dg.build([f"{stub}/site/budget.xml"], quality, store, parse_since("7d"), budget=250,
                     models=models, fast_models=fast, clock=lambda: now[0])  # fmt: skip
    assert len(d.articles) == 4 and len(d.stories) == 4 and len(d.failures) == 9 and not d.skipped
    # 4 s of fast briefs, one quality story (104 s); a second would end at 254 s (146 s left < 1.5 x
    # 100): the other three keep their articles' fast briefs, written already (no time spent)
    assert models.summarizer.batches == [1] and d.degraded == 3 and now[0] == 104
    assert sorted(b.model["summarizer"] for b in d.stories) == ["fake-100s"] + ["fake-1s"] * 3


def test_cli_says_in_one_line_when_the_server_is_not_there(settings):
    url = f"http://127.0.0.1:{free_port()}"
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--mode", "quality", "--llm-url", url, str(SEED)])
    assert r.exit_code == 4
    assert r.stderr.strip() == f"newsbrief: error: LLM server {url}: connection refused [model_error]"


def test_cli_says_when_the_url_is_a_web_server_and_no_llm_api(server):
    """--llm-url at a web page's server (conftest's, 404 on /v1/models): before, 'lists no model:
    set llm_model', as if only a setting were missing."""
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--mode", "quality", "--llm-url", server, str(SEED)])
    assert r.exit_code == 4
    (line,) = r.stderr.splitlines()
    assert f"LLM server {server} does not answer as an OpenAI-compatible API: {server}/v1/models is HTTP 404" in line


# ---- deadlines: the run's budget bounds every request; counting costs a request per text ----


def _news(sentences: int) -> str:
    """An article of ``sentences`` sentences whose names and figures vary, as a long report's do."""
    towns = ["Lyon", "Porto", "Ghent", "Turku", "Cork", "Graz", "Bari", "Split", "Brno", "Pecs"]
    lines = [
        "The council of {t} approved budget number {n} on Monday after a long debate.",
        "The plan moves {n} million euros to repairs of schools and bridges in {t}.",
        "Opposition members in {t} said the repairs had been delayed for {n} months already.",
        "Work on bridge {n} will start next spring, the mayor of {t} told reporters.",
        "Residents of {t} can comment on plan {n} until the end of the month.",
    ]
    return " ".join(lines[i % 5].format(t=towns[i // 5 % 10], n=100 + i) for i in range(sentences))


def test_the_writer_counts_an_article_once_and_sends_everything_over_one_connection(settings):
    """llama.cpp's /tokenize takes one text: an article is counted in one request (before: one per
    sentence), a long one's parts once each before they are sent; connecting, counting and writing
    share one kept-alive connection (before: one per request)."""
    from pipeline.document import Article

    httpd, url = serve(handler=KeepAlive)
    Stub.peers.clear()
    chat = RemoteChat.connect(settings.replace(llm_url=url + "/tok"))
    try:
        assert chat.tokenizer == "llama.cpp"
        writer = RecipeSummarizer(chat, settings.replace(relation_check=False))
        Stub.tokenized = Stub.facts = 0
        assert writer.summarize_one(Article(source="a", title="Budgets", text=_news(12))).tldr
        assert Stub.tokenized == 1 and Stub.facts == 1  # 12 sentences, one request
        Stub.tokenized = Stub.facts = 0
        assert writer.summarize_one(Article(source="b", title="Budgets", text=_news(600))).tldr
        assert Stub.facts >= 2  # too long for one conversation: read in parts
        assert Stub.tokenized == 1 + Stub.facts  # 600 sentences: the article, then each part read
        assert len(Stub.peers) == 1
    finally:
        chat.close()
        httpd.shutdown()
        httpd.server_close()


class Dense:
    """A writer's model whose counts are requests, as on a server, and whose tokenizer gives a
    digit three tokens: the local estimate's shares undercount a chunk full of figures."""

    model_id = "dense"
    context = 1024
    counts_by_request = True

    def __init__(self) -> None:
        self.counted: list[str] = []
        self.parts: list[str] = []

    def tokens(self, text: str) -> int:
        return len(TOKEN.findall(text)) + 2 * sum(c.isdigit() for c in text)

    def count_tokens(self, texts):
        self.counted += texts
        return [self.tokens(t) for t in texts]

    def chat(self, messages, max_tokens):
        first = messages[1]["content"]
        if first.endswith(ASK_FACTS) and "\n\nArticle (part " in first:  # a map call: one part of the article
            self.parts.append(first.split("):\n", 1)[1].removesuffix(f"\n\n{ASK_FACTS}"))
        return Generation(echo_reply(messages))


def test_chunks_packed_from_shares_of_one_count_are_counted_and_never_over_the_budget(settings):
    from pipeline.document import Article
    from pipeline.summarizers.gate import Source

    prose = " ".join(f"The committee heard witness {w} about the harbour and the old railway." for w in "ABCDEFGH" * 6)
    figures = " ".join(
        f"Lot {i} sold for {1000 + i * 37},{i % 10}50 euros on 2024-0{i % 9 + 1}-1{i % 10}." for i in range(60)
    )
    model = Dense()
    writer = RecipeSummarizer(model, settings.replace(relation_check=False))
    model.counted.clear()
    writer.summarize_one(Article(source="a", title="Sales", text=f"{prose} {figures} {prose}"))
    assert len(model.parts) >= 2 and max(model.tokens(p) for p in model.parts) <= writer.chunk_budget
    # the article once, then parts, each text once: a part over the budget is packed again (at
    # most 4 rounds of the parts read), never the article sentence by sentence (156 here)
    assert model.counted[0] == " ".join(s.text for s in Source.of(model.counted[0]).sentences)
    assert len(set(model.counted)) == len(model.counted) <= 1 + 4 * len(model.parts)


def test_the_writer_starts_no_request_of_an_article_once_the_budget_has_ended(settings):
    """The budget is checked between an article's requests: a writer whose budget ends during its
    first request stops there, and the article's error says so (``BudgetSpent``)."""
    from pipeline.document import Article

    class Once(Dense):
        context = 4096

        def chat(self, messages, max_tokens):
            self.parts.append("asked")
            writer.until(time.monotonic() - 1)  # the budget ends while this request runs
            return super().chat(messages, max_tokens)

    model = Once()
    writer = RecipeSummarizer(model, settings.replace(relation_check=False))
    [result] = writer.summarize_batch([Article(source="a", title="Budgets", text=_news(12))])
    assert model.parts == ["asked"] and isinstance(result.error, BudgetSpent) and result.error.source == "a"
    assert result.error.reason == "out_of_budget"


def test_a_request_is_given_no_more_time_than_the_budget_has_left(stub, settings, monkeypatch):
    """llm_timeout is 60 s, 1 s of budget is left: the request is given 1 s at most (the timeout
    the HTTP client is handed), and once the budget has ended no request starts."""
    import httpx

    given: list[dict[str, float]] = []
    send = httpx.Client.send

    def spy(self, request, **kwargs):
        given.append(dict(request.extensions["timeout"]))
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", spy)
    monkeypatch.setattr(Stub, "nap", 5.0)
    chat = RemoteChat(stub + "/sleepy", "stub-model", 4096, settings.replace(llm_timeout=60.0), tokenizer="llama.cpp")
    chat.deadline = time.monotonic() + 1.0
    assert chat.count_tokens(["One two three."]) == [4]
    with pytest.raises(BudgetSpent, match="the time budget ended during a request"):
        chat.chat([{"role": "system", "content": "x"}, {"role": "user", "content": "Article:\nIt rained."}], 8)
    assert len(given) == 2 and all(0 < t <= 1.0 for g in given for t in g.values()), given
    with pytest.raises(BudgetSpent, match="the time budget ended before this brief was written"):
        chat.count_tokens(["Four."])
    assert len(given) == 2


def test_a_digest_whose_budget_ends_inside_a_request_shows_that_story_in_fast_mode(
    stub, settings, tmp_path, monkeypatch
):
    """The server takes 30 s a reply, llm_timeout is 20 s, the budget 4 s: the request is cut at
    the budget's end, the story gets its fast brief and is counted as such (not a failure), and
    the digest's lock is free again. Before, the request ran to llm_timeout: a failure, past the budget."""
    from fakes import LeadSummarizer, rule_tagger

    import pipeline.core
    from pipeline import digest as dg
    from pipeline.fsutil import run_lock
    from pipeline.summarizers import load_summarizer

    fast = LeadSummarizer()
    monkeypatch.setattr(pipeline.core, "load_summarizer", lambda s: load_summarizer(s) if s.mode == "quality" else fast)
    monkeypatch.setattr(pipeline.core.EntityTagger, "load", classmethod(lambda cls, s: rule_tagger(s.entity_labels)))
    monkeypatch.setattr(Stub, "nap", 30.0)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(_site(stub, 1) + "\n")
    quality = settings.replace(mode="quality", llm_url=stub + "/sleepy", llm_timeout=20.0, relation_check=False,
                               allow_private_addresses=True)  # fmt: skip
    d = dg.run_digest(feeds, quality, "7d", "4s", "md", tmp_path / "digest.md", None, lambda text: None)
    assert len(d.stories) == 1 and not d.failures and d.degraded == 1, (d.failures, d.degraded)
    assert d.stories[0].model["summarizer"] == "fake-lead" and "1 in fast mode" in d.tally()
    assert EVENTS[0][0] in (tmp_path / "digest.md").read_text()
    with run_lock(dg.lock_path(quality.db_path()), "digest run"):  # released: the next run takes it
        pass


# ---- the bundled GGUF behind llama.cpp's own HTTP server ----


def test_llm_server_serves_only_what_it_can_serve_safely():
    r = CliRunner().invoke(main, ["llm-server", "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "needs a key" in r.stderr  # no open model server on the network
    r = CliRunner().invoke(main, ["llm-server", "--model", "minilm-l6"])
    assert r.exit_code == 2 and "llama.cpp" in r.stderr


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    from llm_server import start

    proc, url = start("gemma3-270m", free_port())
    yield url
    proc.kill()
    proc.wait()
    proc.stdout.close()  # type: ignore[union-attr]


def _article(path: Path, settings):
    return extract(read_file(path, Policy.trusted(settings)), settings)


@pytest.mark.llm
def test_the_served_model_writes_the_same_brief_as_in_process(llama_server, settings):
    from pipeline.models import resolve
    from pipeline.summarizers.llamacpp import LlamaCppChat

    served = RemoteChat.connect(settings.replace(llm_url=llama_server))
    spec = resolve("gemma3-270m", "summarizer")
    assert served.model_id == spec.id and served.context == 4096 and served.tokenizer == "llama.cpp"
    local = LlamaCppChat.load(spec, settings)
    texts = ["France asked ENISA for a legal opinion.", "欧盟网络安全局周一发布了一份草案。"]
    assert served.count_tokens(texts) == local.count_tokens(texts)
    arts = [_article(SEED, settings), _article(SAMPLES / "plain-article.txt", settings)]
    for art in arts:
        a = RecipeSummarizer(local, settings).summarize_one(art)
        b = RecipeSummarizer(served, settings).summarize_one(art)
        assert [s.text for s in a.tldr] == [s.text for s in b.tldr]
        assert [[s.text for s in p] for p in a.paragraphs] == [[s.text for s in p] for p in b.paragraphs]
        assert a.gated == b.gated and b.tldr


@pytest.mark.llm
def test_doctor_checks_the_served_model(llama_server):
    r = CliRunner().invoke(main, ["doctor"], env={"NEWSBRIEF_LLM_URL": llama_server + "/v1"})
    assert r.exit_code == 0, r.output
    assert "quality     gemma3-270m" in r.stdout and "context 4096, tokens from its /tokenize" in r.stdout


@pytest.mark.llm
def test_the_estimate_is_above_real_token_counts(llama_server, settings):
    """For servers without /tokenize: never fewer tokens than the real tokenizers count (the
    served Gemma's and the bundled Qwen's), on every sentence of the samples and other scripts."""
    from pipeline.models import resolve
    from pipeline.summarizers.llamacpp import LlamaCppChat
    from pipeline.text import split_sentences

    texts = ["CVE-2024-3094 (CVSS 10.0) affects xz 5.6.0/5.6.1; see https://example.com/a?b=1.",
             "欧盟网络安全局周一发布了一份草案。", "Агентство опубликовало проект в понедельник.",
             "الوكالة نشرت مسودة يوم الاثنين."]  # fmt: skip
    for path in [SEED, SAMPLES / "plain-article.txt", SAMPLES / "german-bsi.html", SAMPLES / "long-article.html"]:
        texts += [s.text for s in split_sentences(_article(path, settings).text)]
    served = RemoteChat.connect(settings.replace(llm_url=llama_server))
    qwen = LlamaCppChat.load(resolve(settings.quality_model, "summarizer"), settings)
    for counts in (served.count_tokens(texts), qwen.count_tokens(texts)):
        assert all(estimate_tokens(t) >= n for t, n in zip(texts, counts, strict=True))
