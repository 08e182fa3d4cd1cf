"""Story integrity tried as an attacker would, with the real fast models: an honest report, an
independent one, and a third outlet's copy or light rewording of the first with one fact changed,
seen first, second or last, or arriving the next night. Prints each case and how many fool it
(the altered outlet leads, its telling is corroborated or told with no disagreement shown).
Usage: .venv/bin/python bench/hostile_stories.py"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline import story as st
from pipeline.core import Models
from pipeline.document import Article, Entity
from pipeline.settings import load_settings
from pipeline.store import Store
from pipeline.summarizers.base import apply

HONEST = (
    "A ransomware attack on the insurer Northwind exposed 1.2 million customer records, the company said on Tuesday. "
    "Northwind has not paid the ransom, its chief executive Maria Lopez said. "
    "Police arrested an alleged member of the gang in Madrid on Monday. "
    "The attackers entered through a stolen password for a supplier's account. "
    "Regulators in Madrid were told of the breach within a day. "
    "The insurer said its systems were restored on Wednesday."
)
RETOLD = (
    "Northwind, an insurer, said on Tuesday that 1.2 million customer records were exposed in a ransomware attack. "
    "The company has not paid the ransom, chief executive Maria Lopez said. "
    "An alleged gang member was arrested by police in Madrid on Monday. "
    "Customers were told to watch for phishing emails."
)
# the honest report lightly retold (an outlet rewording it): no sentence is a near copy
LIGHT = (
    "A ransomware attack against Northwind, an insurer, exposed 1.2 million customer records, "
    "the firm said on Tuesday. "
    "Northwind has not paid the ransom, said chief executive Maria Lopez. "
    "Police in Madrid arrested an alleged member of the gang on Monday. "
    "The hackers got in with a stolen password for the account of a supplier. "
    "The breach was reported to regulators in Madrid within a day. "
    "Its systems were restored on Wednesday, the insurer said."
)
EDITS = [
    ("1.2 million", "12 million"),
    ("has not paid", "has paid"),
    ("Maria Lopez", "Jon Ortega"),
    ("an alleged member", "a member"),
    ("arrested an alleged", "questioned an alleged"),
    ("on Wednesday", "on Friday"),
    ("a stolen password", "a zero-day flaw"),
]
m = Models(load_settings().replace(mode="fast", model=""))
enc, summ = m.summarizer.encode, m.summarizer
WPM = 230


def art(title, text, url, date="2024-05-01"):
    a = Article(source=url, url=url, title=title, text=text, date=date, word_count=len(text.split()))
    a.entities = [Entity("Northwind", "ORG", 3, "Northwind")]
    return a


def judge(brief, old, new, bad_host):
    sents = [*brief.tldr, *(s for p in brief.summary for s in p)]
    bad_i = [i for i, s in enumerate(brief.sources) if s.host == bad_host]
    problems = []
    if brief.sources[0].host == bad_host:
        problems.append("leads")
    for s in sents:
        if new in s.text and s.corroborated:
            problems.append("altered sentence corroborated")
        if old in s.text and s.corroborated and set(s.sources) & set(bad_i):
            problems.append("altered source counted as saying the honest one")
        if (
            s.corroborated
            and any(old in v or new in v for x in brief.disagreements for v in x["values"])
            and (old in s.text or new in s.text)
        ):
            problems.append("both corroborated and disputed")
    said_new = any(new in s.text for s in sents)
    listed = any(new in v for x in brief.disagreements for v in x["values"])
    if said_new and not listed:
        problems.append("altered fact told, no disagreement")
    return problems


results = []
for old, new in EDITS:
    for kind in ("copy", "retold"):
        base = HONEST if kind == "copy" else LIGHT
        if old not in base:
            continue
        bad = art("Northwind hit", base.replace(old, new), "https://copycat.example/n", date="2024-04-29")
        a = art("Northwind breach", HONEST, "https://a.example/1")
        b = art("Northwind attacked", RETOLD, "https://b.example/2")
        others = [a, b]
        for pos in range(3):
            order = others[:pos] + [bad] + others[pos:]
            brief = st.write(order, summ, encode=enc, words_per_minute=WPM)
            results.append((old, new, kind, f"seen #{pos + 1}", judge(brief, old, new, "copycat.example")))
        # the update path: the honest reports one night, the altered one the next
        with tempfile.TemporaryDirectory() as d, Store(Path(d) / "i.db") as store:
            for batch in (others, [bad]):
                for x in batch:
                    apply(summ, [x])
                store.add_batch(batch)
                briefs = st.briefs(batch, store, enc, lambda texts: apply(summ, texts), words_per_minute=WPM)
            bb = [x for x in briefs if any(s.host == "copycat.example" for s in x.sources)]
            results.append(
                (
                    old,
                    new,
                    kind,
                    "next night",
                    judge(bb[0], old, new, "copycat.example") if bb else ["not grouped (own story)"],
                )
            )
fooled = [r for r in results if r[4] and r[4] != ["not grouped (own story)"]]
for r in results:
    print(r)
print(f"{len(fooled)} of {len(results)} cases fool it")
