"""Stories: the articles of a run (and of the index's recent days) grouped by the event they
report, each story with one brief written from all its sources.

One module per concern: :mod:`.grouping` puts articles in stories (incremental, single pass,
bounded); :mod:`.telling` builds a story's text from its sources, each sentence told once and
credited to every source that says it; :mod:`.claims` reads two tellings of one fact word by word
for what they differ on; :mod:`.numbers` finds the numbers sources give differently;
:mod:`.brief` writes one brief per story and keeps the index's stories. The records they make
(:class:`~pipeline.document.StoryBrief`, :class:`~pipeline.document.StorySource`,
:class:`~pipeline.document.Story`, …) live beside ``Article`` in :mod:`pipeline.document`, so the
index and the reader use them without this package. What only the evaluation reads is in
:mod:`pipeline.eval_stories`.

The package is ``story``, not ``stories``: ``pipeline.stories`` is the library's public
function (:func:`pipeline.api.stories`), and a subpackage of that name would replace it on
import.
"""

from __future__ import annotations

from .brief import MAX_STORY_SOURCES, Draft, Grouped, assign, briefs, draft, finish, write
from .grouping import Grouper, Options, cves_of, entity_counts, idf_from, items_of, lead_texts, lead_vector, listing
from .numbers import disagreements
from .telling import story_text

__all__ = [
    "MAX_STORY_SOURCES",
    "Draft",
    "Grouped",
    "Grouper",
    "Options",
    "assign",
    "briefs",
    "cves_of",
    "disagreements",
    "draft",
    "entity_counts",
    "finish",
    "idf_from",
    "items_of",
    "lead_texts",
    "lead_vector",
    "listing",
    "story_text",
    "write",
]
