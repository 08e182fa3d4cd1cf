"""Alerts: a watched story reaches the reader the night it appears, through their own channel.

After the digest is written (:func:`pipeline.digest.run_digest`), each story on the watchlist that a
watch has not alerted about yet is an alert for that watch:

* ``--alert-cmd CMD`` runs the user's command once per alert with one JSON object on stdin
  (``watch``, ``story_id``, ``title``, ``tldr``, ``sources`` (URLs), ``matched``, ``date``,
  ``update``, ``facts``, ``changed``). CMD is an argument list (split like a shell splits it,
  never run by one), with :data:`ALERT_SECONDS` to finish; a command that fails, hangs or cannot
  start is reported and its alert is kept and tried again by the next run, never lost, and it
  never costs the digest;
* ``--watch-atom DIR`` keeps an Atom feed per watch, ``DIR/<watch>.atom`` (its stories of the
  last ``atom_digests`` runs that matched it), escaped as the digest's feed is: any feed reader or
  phone app becomes the alert channel.

A story alerts a watch once: it grows by a source tomorrow, it stays alerted, unless what it says
changed: a disagreement between its sources that was not there (one outlet says 12 million where
the others say 1.2 million, "has paid" for "has not paid"). Then it alerts again, its payload's
``changed`` saying which (``facts`` lists them all).
Which (watch, story) pairs were delivered with which facts, and the alerts waiting for a retry,
are kept in a small JSON file beside the index (``index.db.alerts.json``), written atomically
after each delivery under the digest's lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StateError

log = logging.getLogger(__name__)

ALERT_SECONDS = 30.0  # an alert command's time to read its JSON and finish
MAX_KEPT = 10_000  # delivered (watch, story) pairs remembered per watch (the oldest are forgotten)


@dataclass(slots=True)
class AlertFailure:
    """An alert the command did not take (tried again by the next run)."""

    watch: str
    story_id: int
    message: str


@dataclass(slots=True)
class AlertState:
    """What was delivered, per watch (story ids, oldest first), and what waits for a retry."""

    path: Path
    sent: dict[str, list[int]] = field(default_factory=dict)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # the payloads not delivered yet
    facts: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # watch -> story id -> facts alerted

    @classmethod
    def load(cls, path: Path) -> AlertState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read the alert state ({exc}); move it away to start again", str(path)) from None
        try:
            sent = {str(w): [int(i) for i in ids] for w, ids in dict(data.get("sent") or {}).items()}
            waiting = [dict(p) for p in data.get("waiting") or []]
            facts = {
                str(w): {str(i): [str(f) for f in told] for i, told in dict(stories).items()}
                for w, stories in dict(data.get("facts") or {}).items()
            }  # fmt: skip  (absent in a state written before facts were kept: none known)
        except (TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"the alert state is damaged ({exc}); move it away to start again", str(path)) from None
        return cls(path, sent, waiting, facts)

    def save(self) -> None:
        from .fsutil import write_atomic

        kept = {w: ids[-MAX_KEPT:] for w, ids in self.sent.items()}
        facts = {w: {i: f for i, f in told.items() if int(i) in set(kept.get(w, ()))} for w, told in self.facts.items()}
        data = {"sent": kept, "waiting": self.waiting, "facts": facts}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def delivered(self, watch: str, story_id: int) -> bool:
        return story_id in self.sent.get(watch, ())

    def new_facts(self, watch: str, story_id: int, facts: Sequence[str]) -> list[str]:
        """Of a delivered story's ``facts`` tonight, those its last alert did not tell."""
        told = set(self.facts.get(watch, {}).get(str(story_id), ()))
        return [f for f in facts if f not in told]

    def mark(self, watch: str, story_id: int, facts: Sequence[str] = ()) -> None:
        if story_id not in self.sent.get(watch, ()):
            self.sent.setdefault(watch, []).append(story_id)
        self.facts.setdefault(watch, {})[str(story_id)] = list(facts)


def state_path(db: Path) -> Path:
    """The alert state of an index: beside its resolved path, as the digest's lock is."""
    db = db.expanduser().resolve()
    return db.with_name(db.name + ".alerts.json")


def facts_of(brief: Any) -> list[str]:
    """The facts of a story an alert tells beyond its text: each disagreement between its sources
    (what, and each telling). A rewritten brief or a new source telling the same is no change:
    nothing reliable tells a changed fact from new words, but a new disagreement is one."""
    return sorted(
        f"sources disagree on {d.get('what')}: " + " / ".join(str(v) for v in d.get("values") or {})
        for d in brief.disagreements
    )  # fmt: skip


def payloads(digest: Any) -> list[dict[str, Any]]:
    """One alert per (watch, story) of the digest's watchlist: the JSON the command reads."""
    from .policy import public_url

    out = []
    for brief in digest.watched:
        verdict = digest.verdict(brief)
        if verdict is None or brief.story_id is None:
            continue
        for watch in verdict.watches():
            out.append({
                "watch": watch, "story_id": brief.story_id, "title": brief.title, "tldr": brief.tldr_text,
                "sources": [u for u in (public_url(s.url) for s in brief.sources) if u],
                "matched": [m.as_dict() for m in verdict.matches if m.watch == watch],
                "date": brief.date, "update": brief.update, "facts": facts_of(brief), "changed": [],
            })  # fmt: skip
    return out


def run_command(argv: Sequence[str], payload: dict[str, Any], timeout: float = ALERT_SECONDS) -> str | None:
    """Run ``argv`` (no shell) with ``payload`` as JSON on stdin; None when it exited 0, else what
    went wrong. It runs in its own process group, killed whole at the time limit: a command that
    leaves a child holding its output open cannot hang the digest."""
    data = (json.dumps(payload, ensure_ascii=False) + "\n").encode()
    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        return f"cannot run the alert command: {exc.strerror or exc}"
    try:
        _, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()  # the whole group is gone: its pipes close, and are closed here
        return f"the alert command took longer than {timeout:g} s and was stopped"
    if proc.returncode != 0:
        last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        said = f": {last[0][:200]}" if last[0] else ""
        return f"the alert command exited with {proc.returncode}{said}"
    return None


def send(
    digest: Any, state: AlertState, argv: Sequence[str], timeout: float = ALERT_SECONDS
) -> tuple[int, list[AlertFailure]]:
    """Deliver tonight's new alerts and those waiting from earlier runs through ``argv``; each is
    remembered once the command took it (the state is saved after each one). Returns how many
    were delivered and the failures (kept waiting)."""
    todo = list(state.waiting)
    queued = {(p["watch"], p["story_id"]) for p in todo}
    for p in payloads(digest):
        if (p["watch"], p["story_id"]) in queued:
            continue
        if state.delivered(p["watch"], p["story_id"]):  # alerted before: again only if its facts changed
            p["changed"] = state.new_facts(p["watch"], p["story_id"], p["facts"])
            if not p["changed"]:
                continue
        todo.append(p)
    state.waiting = todo  # remembered before the first command runs: a killed run loses none
    state.save()
    sent, failures, waiting = 0, [], []
    for i, p in enumerate(todo):
        problem = run_command(argv, p, timeout)
        if problem is None:
            state.mark(p["watch"], int(p["story_id"]), p.get("facts") or ())
            sent += 1
        else:
            waiting.append(p)
            failures.append(AlertFailure(p["watch"], int(p["story_id"]), problem))
        state.waiting = waiting + todo[i + 1 :]
        state.save()
    return sent, failures


def feed_name(watch: str) -> str:
    """A watch's Atom file name: its name where it is a safe file name, else a cleaned one."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", watch).strip(".-")[:80] or "watch"
    if clean != watch:
        import hashlib

        clean += "-" + hashlib.sha256(watch.encode()).hexdigest()[:8]  # two names cleaned alike stay apart
    return clean + ".atom"


def write_feeds(digest: Any, store: Any, folder: Path, keep: int, render_atom: Callable[..., str]) -> list[Path]:
    """The Atom feed of each watch with a story tonight, in ``folder``: tonight's stories of it
    and those of its last ``keep`` - 1 runs (kept in the index, as the digest's own feed is),
    rendered by the digest's ``render_atom`` (passed in: alerts sits below the digest)."""
    from .fsutil import write_atomic

    mine: dict[str, list[dict[str, Any]]] = {}
    for brief in digest.watched:
        verdict = digest.verdict(brief)
        for watch in verdict.watches() if verdict is not None else ():
            mine.setdefault(watch, []).append(brief.as_dict())
    written = []
    for watch, briefs in mine.items():
        path = folder / feed_name(watch)
        feed = str(path.expanduser().resolve())
        history = store.published(feed, keep - 1)
        text = render_atom(digest.generated, [(digest.generated, briefs), *history], title=f"newsbrief watch: {watch}",
                           feed_id=f"urn:newsbrief:watch:{feed_name(watch)[:-5]}")  # fmt: skip
        write_atomic(path, text)
        store.add_published(feed, digest.generated, briefs)
        written.append(path)
    return written
