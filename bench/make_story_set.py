"""ECB+ (Cybulska & Vossen, LREC 2014; CC BY 3.0) -> bench/data/stories-ecbplus.jsonl.gz.

One record per document (id, story, title, text); the story is the topic plus its sub-topic (an
``ecb`` and an ``ecbplus`` file of one topic report two different, near-identical events). Tokens
are joined back into text; a leading URL line is dropped; a short first line without a year and
without final punctuation is the title.

    python bench/make_story_set.py bench/data/stories-ecbplus.jsonl.gz PATH/TO/EventStoryLine/.git
"""

import gzip
import json
import re
import subprocess
import sys
from xml.etree import ElementTree as ET

D = sys.argv[2]  # a git dir of github.com/tommasoc80/EventStoryLine (it holds ECB+ 1.0, CC BY 3.0)
names = subprocess.run(
    ["git", f"--git-dir={D}", "ls-tree", "-r", "HEAD", "--name-only"], capture_output=True, text=True
).stdout.split()
names = sorted(n for n in names if re.fullmatch(r"ECB\+_LREC2014/ECB\+/\d+/\d+_\d+ecb(plus)?\.xml", n))


def detok(toks):
    s = " ".join(toks).replace("``", '"').replace("''", '"')
    s = re.sub(r" ([,.;:!?%)\]}])", r"\1", s)
    s = re.sub(r"([(\[{$]) ", r"\1", s)
    s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
    s = re.sub(r'" (.*?) "', r'"\1"', s)
    s = re.sub(r"(\w) - (?=\w)", r"\1-", s)
    return s


out = []
for n in names:
    xml = subprocess.run(["git", f"--git-dir={D}", "show", f"HEAD:{n}"], capture_output=True).stdout
    root = ET.fromstring(xml)
    sents = {}
    for t in root.iter("token"):
        sents.setdefault(int(t.get("sentence")), []).append(t.text or "")
    lines = [detok(v) for k, v in sorted(sents.items())]
    lines = [x for x in lines if not re.match(r"^https?\s*:", x) and "www." not in x[:40].replace(" ", "")]
    m = re.fullmatch(r".*/(\d+)_(\d+)(ecb(?:plus)?)\.xml", n)
    topic, num, kind = m.groups()
    title = None
    if (
        lines
        and len(lines[0].split()) <= 20
        and not lines[0].rstrip().endswith((".", '"', "!", "?"))
        and not re.search(r"\b(19|20)\d\d\b", lines[0])
    ):
        title = lines.pop(0)
    out.append(
        {
            "id": f"{topic}_{num}{kind}",
            "story": f"{topic}{'+' if kind == 'ecbplus' else ''}",
            "title": title,
            "text": "\n".join(lines),
        }
    )
with gzip.open(sys.argv[1], "wt") as f:
    for r in out:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(out), len({r["story"] for r in out}), sum(1 for r in out if r["title"]))
