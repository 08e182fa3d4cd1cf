"""English: the words, patterns and prompts the pipeline reads English by (``ENGLISH``).

Every literal here was moved verbatim from the mechanism that reads it (same regex strings, same
word order), with the comment that says why it is what it is. Where two modules had a list of the
same kind, both now live here side by side, and where one is part of the other it is built from
it (the opinion verbs are reporting verbs). Some page furniture is Welsh (BBC Cymru Fyw's share
widget): every page is read by this record until its language has a module of its own.
"""

from __future__ import annotations

from types import MappingProxyType

from . import Language, Prompts

# ---------------------------------------------------------------- words

# words that carry no content of their own (the gate's too)
FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for by with from as is are was were be been has have had it its "
    "this that these those will would can could may might not no also than then there their they he she "
    "we you i his her our your into over under about after before while which who what when where".split()
)


def _spacy_stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


# words that start a sentence, never a name: "…was promoted to Sgt. The next day…" stays two
_STARTERS = frozenset(
    "The A An He She It They We I You This That These Those But And Or So Then There Here After Before "
    "In On At As If When While His Her Its Their Our My".split()
)
# words a sentence cannot end on: what a cut left dangling ("The rules are listed at.", "…for the.")
_DANGLING = frozenset("a an the at on via from to of by with for and or but is are was were be see visit".split())

# ---------------------------------------------------------------- page furniture

# Furniture glued to the first words of a sentence by extraction: datelines ("(CNN)They may…",
# "LONDON, England (CNN) -- The…"), BBC share widgets ("Share this withEmail…Copy this linkThe…"),
# DailyMail's "Scroll down for video", "Read more:". Cut off the sentence (its start moves past).
_PREFIX = (
    r"(?:"
    r"(?:[A-Z][A-Z.'’ -]{1,40}(?:,\s*[A-Z][A-Za-z.'’ -]{1,30})?\s*)?"  # a place in capitals: not "The AP (AP) said"
    r"\((?:CNN|AP|AFP|Reuters|BBC)\)\s*(?:--|—|–|-)?\s*"
    # a BBC byline glued to the text: "By Danny ShawBBC home affairs correspondentTheresa May's…"
    r"|By [A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}[\w ,'’-]{0,60}?(?:correspondent|editor|reporter)"
    r"(?:,? BBC News)?(?=[A-Z])"
    r"|Share this with.{0,120}?Copy this link(?:These are external links and will open in a new window)?\s*"
    # the same widget on BBC Cymru Fyw's Welsh pages
    r"|Rhannu hwn ar.{0,120}?Copïo['’]r ddolen yma"
    r"(?:Mae['’]r rhain yn ddolenni allanol ac yn agor mewn ffenest newydd)?\s*"
    r"|(?:Scroll down for videos?|Watch the video(?: below)?:?|Read more:|READ MORE:|Related:|RELATED:)\s+"
    r")+"
)
# A sentence that is nothing but furniture ("Advertisement", "Click here to…", "Follow us on…").
_FURNITURE = (
    r"^(?:Advertisement|Media playback is (?:not supported|unsupported) on (?:this|your) device"
    r"|Scroll down for videos?|Read more\b.*|READ MORE\b.*|Click here\b.*|Follow (?:@|(?:us|him|her|me) (?:on|at|@)).*"
    r"|Sign up (?:for|to|here|now)\b.*|Subscribe (?:to|for|here|now)\b.*|Share this\b.*|Copy this link\b.*"
    r"|Rhannu hwn\b.*|Copïo['’]r ddolen\b.*"
    r"|Watch the video\b.*|Related(?::| (?:articles|stories|coverage|content|links)\b).*"
    r"|All rights reserved\b.*|Copyright (?:©|\(c\)|\d{4}).*|©.*|(?:Photo|Picture|Image|Video|Credit|Source)s?:.*"
    r"|By [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}(?: and [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})?[.,|]?"
    r"(?: [A-Z][\w ]{0,30})?"
    r"|This (?:article|story) (?:was|has been) (?:amended|updated|corrected)\b.*"
    r"|The video is (?:at the top|above|below)\b.*|(?:Watch|See) (?:the|this) video\b.*)$"
)
# Photo captions, which extraction glues into the text: "Jamie Silvonek (left), 14, …",
# "Abase Hussen, left, took his daughter…", and DailyMail's labelled ones ("Critical: A guard…").
_CAPTION = (
    r"\((?:left|right|centre|center|(?:not )?pictured\b[^()]{0,60}|above|below|top|bottom|inset|"
    r"file(?: photo| picture)?|stock (?:photo|image|picture)|"
    r"(?:top |bottom |far |second |centre |center )(?:left|right)|pictured (?:left|right|above|below|centre|center)"
    r"|left and right|right and left|second (?:from )?(?:left|right)|in (?:red|blue|white|black))\)"
    r"|, (?:left|right|centre|center|pictured|above|below)(?: (?:left|right|above|below))?,"
    # "Paul Casey, pictured in action last month, is…": the reader has no picture
    r"|, (?:not )?pictured\b[^,.;]{0,60},"
    r"|\bpictured (?:above|below|left|right)\b|\b[Ss]hown (?:above|below|left|right)\b"
)
# "Flying high: Half of the kite…": a short label, a colon, then the caption. Not "He said: 'We…'".
# A label has no function words: "The reason was simple: Nobody…" and "His message to voters: We…" are prose.
_NOT_LABEL = r"(?!(?i:the|a|an|was|is|are|were|to|of|his|her|their|our|my|its|this|that|he|she|they|we|it|i)\b)"
# Two sentences with no full stop between them, outside quotes: a caption glued to the text
# ("…now offering to post tweets for $20 He was once the double heavyweight champion…",
# "…(stock photo) He has covered the gap…", "…on their Facebook page When officials confronted…",
# "…in the middle of a match A chess grandmaster…"); a pronoun, an article or a word that opens a
# clause never follows a lowercase word like that (titles capitalise the word after it: "the film
# When Harry Met Sally"; "Patient A and…" is a name).
_GLUED = (
    # (after a closing mark too: "…'£64 a ticket' The cheapest tickets…", a pull quote glued on;
    # "For instance", "There were", "Those": "…as his selected track For instance, who would have guessed…",
    # "…defend safety concerns There were three…", "…their game with Reading Those that did…")
    r"(?<=[a-z0-9%$)])['’\"”]?\s+(?:(?:He|She|They|It|We|An|His|Her|Their|Its|The|This|When|After|As|But|And|In"
    r"|These|Those"
    r"|A(?! (?:and|or|to|in|is|was|were|has|had)\b))\s+[a-z]"
    # "…in Grand Junction, Colorado When John died his wife…" (a title: "the film When Harry Met Sally")
    r"|(?:When|While|After|But|As)\s+[A-Z][a-z]+\s+[a-z])"
    # "For" and "There" open a title or a name too ("the Minister For the Environment", "a
    # campaign called Out There is"): only after a lowercase word, with the words that make them
    # a sentence's start
    r"|(?<![\w'’])[a-z]+['’\"”]?\s+(?:For\s+(?:instance|example)\b|There\s+(?:is|are|was|were|will|has|had|have)\b)"
)
# Where two blocks of a page met without the line break between them (the scrape of a page, a
# feed's text): a related headline, a promo line or a share widget glued to the text ("…register
# for EU voteThe UK's EU vote: All you need to knowUK and the EU…", "…all the latest travel
# newsFirst said…") or a paragraph to the next ("…leave the UK.Their cleaning business…"). A word
# that starts lower case and runs into a capitalised one, or a full stop with no space after it.
# Not in a handle, hashtag or address ("@realDonaldTrump", "/newsBeat", "?v=abcDef"), nor the
# names that are written so ("easyJet", "van", "von", "mac" are name prefixes; "iPhone", "eBay" and
# "deGrom" start on fewer than three lower-case letters).
_SEAM = (
    r"(?<![\w@#/.:=?&%+\\-])(?!(?:easy|van|von|mac|del|der)[A-Z])[a-z]{3,}(?=[A-Z][a-z])"
    r"|(?<=[a-z]{2}|[A-Z]{2}|\w\d)[.!?][)”’]?(?=[A-Z][a-z])"
)

# ---------------------------------------------------------------- sentence splitting

# after an opening straight quote: 'Stop' and '3' open; 'em and '90s are elisions
_ELISIONS = r"(?:em|n|til|cause|\d0s)\b"
# Abbreviations spaCy's tokenizer splits off their period, so its sentencizer ends a sentence
# there: "the No. | 5 seed", "Lt. | Col. | Jones". Joined again when what follows is what the
# abbreviation stands before (a number; a name or another title). Capitalised only: "he said no.
# 5 people left" is two sentences.
_BEFORE_NUMBER = r"(?<![\w.])(?:No|Nos|Vol|Art|Fig|Figs|Sec|Ch|Op|pp)\.$"
_BEFORE_NAME = r"(?<![\w.])(?:Lt|Col|Maj|Sgt|Capt|Cpl|Pvt|Cmdr|Brig|Supt|Insp|Det|Const|Hon|Fr)\.$"

# ---------------------------------------------------------------- speech and attribution

# Reporting verbs, two views of one fact. As written (a regex alternation): what a text-only check
# finds without a parser (a caption's label is speech, a speaker is named). As lemmas: what the
# relation checker finds in a parse (relations.py). They were two lists in two modules and are
# not the same set: the written forms carry what only speech is ("continued", "joked", "went
# on"), the lemmas the verbs of thinking an opinion is reported by ("believe", "fear", "slam").
# Making them one set changes what the filters pass: a measured change, not a move.
_REPORTING = (
    r"said|says|say|added|adds|told|tells|wrote|writes|explained|continued|tweeted|posted|read|reads|went on|"
    r"asked|replied|insisted|warned|stated|concluded|claimed|argued|noted|revealed|announced|admitted|confirmed|"
    r"declared|commented|recalled|urged|joked|quipped|stressed|suggested|will say|would say"
)
_ATTRIBUTION = rf"\b(?:{_REPORTING}|according to|saying|tells|telling|speaking|in a statement|allegedly|reportedly)\b"
# first or second person outside quotes: the brief speaking in someone else's voice
# (case-sensitive, capitalised only where a sentence starts: "US" is a country, "Baby Be Mine" a song)
_FIRST_PERSON = (
    r"\bI\b|\bI['’](?:m|ve|d|ll)\b|\b(?:me|my|mine|myself|we|we['’](?:re|ve|ll|d)|us|our|ours|ourselves|"
    r"you|you['’](?:re|ve|ll|d)|your|yours)\b|^\W*(?:My|We|We['’](?:re|ve|ll|d)|Our|You|You['’](?:re|ve|ll|d)|Your)\b"
)
# a pronoun's contraction: spoken English; news narration spells it out ("they have been")
_SPOKEN = r"\b(?:[Hh]e|[Ss]he|[Ii]t|[Tt]hat|[Tt]here|[Ww]hat|[Ww]ho|[Hh]ere|[Tt]hey|[Ll]et)['’](?:s|re|ve|ll|d)\b"
# what may follow a quotation that ends on a comma: its speaker, named ("…,' Mr Peters revealed",
# "…," Smith, 45, told the court") or lower case ("…,' he moaned", "…," said Smith), or another
# quotation ("the words "big," "small"…")
_SPEAKER_NEXT = (
    r"\s*(?:$|[a-z\"“'‘]|(?!(?:The|A|An|This|That|These|Those|It|Its|His|Her|Their|Our|My|There|And|But|In|On|At)\b)"
    r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s+[a-z]+(?:ed|s)\b)"
)
# Verbs that report what someone said or thinks (relations.py). A claim reported with one of the
# opinion verbs (or in the speaker's quoted words) is theirs, not a fact: a brief that drops the
# speaker states it as fact ("Boris Johnson is 'rushing through' the closures", said by a union
# leader). A plain "police said the man was arrested" may lose its "police said" in a brief, as
# editors do.
_OPINION = frozenset(
    "claim allege accuse argue insist believe think suggest warn deny maintain contend assert predict fear hope "
    "feel speculate describe brand call dismiss condemn criticise criticize slam blast".split()
)
_REPORT = _OPINION | frozenset(
    "say tell add write state explain report announce reveal admit confirm tweet post".split()
)
_ATTRIBUTED = frozenset({"according", "allegedly", "reportedly", "reported", "purportedly", "apparently"})
# Speakers who argue a side: what they "say" is their claim, not the news ("critics say the vote is
# a sham", "environmentalists say the rules weaken protection", "prosecutors say he fired first").
# A brief may drop "police said" before a fact; it may not drop these.
_PARTISANS = frozenset(
    "critic opponent detractor skeptic sceptic environmentalist conservationist activist campaigner advocate "
    "supporter protester protestor dissident opposition prosecutor prosecution plaintiff lawsuit complaint".split()
)

# What leaves a parsed verb not asserted (relations.py). "He fears he could have been attacked",
# "Manchester City may be still licking their wounds", "He will be charged": a brief that writes
# "was attacked", "are still licking", "was charged" states as done what the article only
# fears, supposes or announces. Read on the labelled briefs (bench/data/faithfulness-labels*.jsonl).
_MODALS = frozenset("could would might may will shall should must can ca wo 'll 'd".split())
_FUTURE = frozenset("will shall 'll".split())
_CONDITIONAL = frozenset("would could might 'd".split())
_CONDITIONS = frozenset("if unless whether lest".split())
_UNASSERTING = frozenset(
    "fear allege claim deny hope plan want expect threaten try aim seek propose consider intend believe suspect "
    "accuse wish refuse fail attempt prepare urge ask vow promise offer agree decide risk face set due".split()
)
_HEDGING = _ATTRIBUTED - {"according", "reported"} | frozenset(
    "possibly probably perhaps maybe likely potentially supposedly".split()
)
# What a sentence cut from the article's may not lose from its middle: the words that make what
# is left a fact, a certainty or a whole ("over the objections of what officials said were the bulk
# of nearly 235,000 public comments" cut to "over the objections of nearly 235,000 public comments").
# A cut keeps the article's words, so no check looks at it again: it must not change their meaning.
_UNCUT = (
    _HEDGING
    | _ATTRIBUTED
    | _MODALS
    | frozenset({"not", "never", "no", "n't", "nor"})
    | frozenset(
        "said say says told tell tells claimed claim claims alleged alleges allege believed believe believes "
        "thought suspected feared reported according".split()
    )
    | frozenset("bulk most some part half majority minority portion share many few several nearly almost".split())
)
# verbs every article uses in many senses: comparing their tense or mood across two sentences
# says nothing ("is", "has", "said", "made")
_LIGHT = frozenset(
    "be have do say make take get go come give see tell know think put let become include use show find keep "
    "leave add".split()
)

# ---------------------------------------------------------------- generated text

# A sentence that leans on the one before it: a connective or a pronoun whose referent is there.
_LEANS = (
    r"^\W*(?:But|And|Or|So|Yet|However|Meanwhile|Still|Also|Instead|Moreover|Furthermore|Nevertheless|Nonetheless|"
    r"Even so|In addition|As a result|Therefore|Thus|Then|He|She|It|They|His|Her|Its|Their|Him|Them|This|These|Those|"
    r"That|Such|The latter|The former|Both|Neither|Another|Others?|"
    # a pronoun after a lead-in that names no one: "If only he'll wear those gold lame pants."
    r"(?:If only|If|When|While|Although|Though|Because|Once|Until|Unless|Even if|Even though)"
    r"\s+(?:he|she|they|his|her|their|him|them)|"
    # a noun that names what the sentence before said: "The action will restore…" (a quality TLDR
    # the gate pasted in, ECB+ 9_1ecbplus), "The move comes after…"
    r"The (?:actions?|move|decision|step|measure|announcement|incident|development|changes?)"
    r"(?! (?:of|by|to|in|on|at|against)\b))\b"
)
# A sentence that opens on background, its news in a later clause: no TLDR to put in place of the
# writer's ("Now that Hunger Games will undoubtedly be one of the highest-grossing films…, Ross has
# some leverage").
_ASIDE = r"^\W*(?:Now that|For now|Although|Though|While|Whereas|If|Unless|Because|Since|Whether|Not to be)\b"
# Talking about the article instead of the news. The reader-defect check (``defects.py``) has its
# own, simpler rules for the same defect on purpose: it grades these.
# a connective may come first: "Finally, the article discusses…", "Also, it mentions…"
CONNECTIVE = (
    r"(?:(?:Finally|Additionally|Also|Moreover|Furthermore|In addition|Lastly|Overall|However|Meanwhile),?\s+)?"
)
# a sentence that talks about a text (the gate drops it, or cuts the frame below)
_META_OPENER = (
    rf"^{CONNECTIVE}(?:(?:In|According to|As (?:stated|reported|described|mentioned) in) (?:the|this) "
    r"(?:article|text|passage|story|piece|news (?:article|story|report))\b"
    # not "The Article 50 talks", "The text of the bill"
    r"|(?:The|This) (?:article|text|passage|news (?:article|story)|summary)\b(?!\s+(?:\d|of\b))"
    r"|(?:The|This) (?:story|piece|author|writer|report) (?:also )?(?:discuss|describ|highlight|explor|focus|detail|"
    r"mention|talk|cover|outline|examin|provid|present|delv|shed|touch|emphasi[sz]|underscor|reflect)"
    r"|(?:It|This) (?:also )?(?:discusses|describes|highlights|explores|focuses on|details|mentions|touches on|"
    r"covers|reports on|goes on to)\b)"
)
# "The article reports that X." says X: the frame is cut; a sentence that only talks about the
# article ("The article discusses the closures.") says nothing the brief's other sentences do not
_META_THAT = (
    rf"^{CONNECTIVE}(?:(?:The|This) (?:article|text|story|piece|author|writer)|It) (?:also )?"
    r"(?:reports|says|states|notes|explains|mentions|adds|reveals|confirms|highlights|emphasi[sz]es|suggests) that\s+"
)
_META_ACCORDING = r"^(?:According to|As (?:stated|reported|mentioned) in) (?:the|this) (?:article|text|story),?\s+"

# a run of capitalised words ("European Cybersecurity Certification Group", "SecNumCloud", "EU-US")
_NAME = r"\b[A-Z][\w’'&-]*(?:\s+(?:of|for|and|the|de|du|des)?\s*[A-Z][\w’'&-]*)*"
# Words that only lead in to an address: they go with it. "…, as listed at <url>", "…, available
# on the website <url>", "…: <url>", "Visit <url>", "…at <url>". A participle ("listed") goes
# only after "as" or a comma: "The rules are listed at <url>." keeps "The rules are listed."
_SAID_WHERE = r"(?:listed|published|posted|detailed|described|outlined|explained|shown|available|found|reported|hosted)"
_LEAD_IN = (
    rf"(?:\s*[,;:—–]\s*(?:as\s+)?(?:{_SAID_WHERE}\s+)?|\s+as\s+{_SAID_WHERE}\s+|\s+|^)"
    r"(?:(?:see|visit|contact|e-?mail|write\s+to|go\s+to|read\s+more|more|details|information|info)\s+)?"
    r"(?:(?:online\s+)?(?:at|on|via|from|under|in)\s+)?"
    r"(?:(?:the|its|their|this|our|a)\s+)?(?:(?:website|web\s+site|site|page|web\s*page|link|address|url)\s*:?\s*)?$"
)
# an aside that holds only an address and such words goes whole: "(see evil.example)", "[source: …]"
_ASIDE_WORDS = (
    r"^(?:[\s,;:.—–-]*(?:see|also|visit|via|at|on|from|in|source|sources|more|details|info|information|read|here|online"
    r"|available|the|full|official|website|web|site|page|link|e\.g|cf|contact|e-?mail|for)\b)*[\s,;:.—–-]*$"
)

# ---------------------------------------------------------------- names

ACRONYM_STOPLIST = frozenset(
    (
        "TLDR TL;DR AM PM OK FAQ PDF URL HTML HTTP HTTPS CEO CFO CTO CISO COO CIO VP PR TV AI IT II III IV "
        "ID PS NB USD EUR GMT UTC EST PST ET AKA ASAP DIY FYI RSS API APIS SDK CSS JSON XML "
        # common nouns written in capitals, tagged ORG by the model as often as by the acronym
        # ruler (on the first 20 dev articles of each dataset: 7 "MP", "DNA" in two, "CCTV" in two)
        "MP MPS GP PC CV DNA RNA CCTV LLP PLC LTD PAYE VAT BST BBQ DJ DVD CGI HM HMS FC MD"
    ).split()
)
# Acronyms that are also English words: "US" and "IS" (Islamic State) are written in lower case
# in every article ("us", "is"), so the "a word the text also writes in lower case" test spares them.
ACRONYM_WORDS = frozenset("US IS WHO AIDS".split())
# Form and page labels that open a line as "Subject: …" and that the model tags as a name.
FORM_LABELS = frozenset(
    (
        "Subject Category Categories Tags Tag Topic Topics Section Keywords From To Cc Bcc Re Fwd Date "
        "Posted Updated Published Filed Author Authors By Title Source Sources Credit Credits Photo Image "
        "Caption Location Name Email Phone Address Website Reply Comments Share Related Summary Status Type"
    ).split()
)
# The lower-case words a name holds ("Bank of England", "Kermit the Frog", "Ludwig van Beethoven",
# "Newcastle upon Tyne"). Any other lower-case word in a person's or a place's name is the model's
# span running on past it ("Locke when Ross County", "Southwest spokesperson Thais Conway Hanson").
NAME_INNER_WORDS = frozenset(
    "a an the and or of to in on at for by with from as into over under upon without "
    "de da del della der den di do dos du des la le les van von y e al el bin ibn am sur sans "
    # the common nouns that end a place's or a body's name in news style ("Salahuddin province")
    "province county state district region city committee".split()
)
# Titles before a surname: "Mr Yeaman", "Ms Sturgeon" and "Gen Buhari" are the surname, not a
# second person beside "Leon Yeaman".
NAME_TITLES = frozenset(
    (
        "Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Lord Lady Gen General Sgt Det Insp Supt Capt Col Lt Maj "
        "Rev Fr Sen Rep Gov Judge Justice President Cllr PC"
    ).split()
)
# What follows a disease named after a place or a name ("Ebola virus", "West Nile fever",
# "Alzheimer's disease"): the name there is the disease, not the place or person.
DISEASE_AFTER = r"^(?:['’]s)?\s+(?:virus|viruses|fever|disease|syndrome|flu|influenza|encephalitis)\b"
# Diseases the model tags as places or organisations when no such word follows them.
DISEASES = frozenset(
    "ebola zika sars mers covid covid-19 aids hiv malaria cholera measles polio dengue anthrax mpox "
    "monkeypox norovirus salmonella listeria legionella lyme h1n1 h5n1 h7n9 tb".split()
)

# ---------------------------------------------------------------- the writer's prompts

# The brief states the news in its own voice, like the seed document: 10 of 40 unseen quality
# briefs opened "The article discusses…". The asks say so; the gate cuts or drops what slips
# through (``gate.reframe``). The system prompt and the facts step are unchanged, so the facts
# (and the article's prompt cache) are the same as before.
_NEWS_VOICE = 'State the news directly; never write "the article" or "the text".'
PROMPTS = Prompts(
    system=(
        "You are a careful news editor. Use only information stated in the article. "
        "Do not add information. Do not expand acronyms."
    ),
    ask_facts="List the key facts of this article as short bullet points, in the order of the article.",
    ask_tldr=(
        "Write a one-sentence TLDR of at most 30 words using only these facts. "
        f"{_NEWS_VOICE} Reply with the sentence only."
    ),
    ask_paragraphs=(
        "Write two short paragraphs (about 60 words each) that summarize the article using only these "
        "facts: the first paragraph from the first half of the facts, the second from the second half. "
        f"Do not add information, do not expand acronyms. {_NEWS_VOICE} Separate the paragraphs with a "
        "blank line. Reply with the paragraphs only."
    ),
    # A TLDR the support check flagged is asked for again in its own conversation (the article and
    # its facts are the cached prefix, so only this turn is new), told what its words lacked: a
    # sentence cut from one support sentence made a poor headline ("One expert suggested…").
    ask_tldr_again=(
        "That TLDR says something the article does not ({why}). Write the TLDR again: one sentence of at most 30 "
        f"words that states the article's main news using only what the article says. {_NEWS_VOICE} "
        "Reply with the sentence only."
    ),
    title="Title: {title}\n\n",
    article="{head}Article:\n{text}\n\n{ask}",
    article_part="{head}Article ({where}):\n{text}\n\n{ask}",
    part="part {i} of {n} of the article",
    key_facts="{head}Key facts:\n{facts}",
    noted="Noted.",
    reply_label=r"^\s*(?:\*\*)?(?:tl;?dr|summary|paragraph \d|(?:first|second) paragraph)\s*:?(?:\*\*)?:?\s*",
)

# -- two tellings of a story compared word by word (story/claims.py, story/numbers.py)
_NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "first": 1, "second": 2, "third": 3, "fourth": 4,
    "fifth": 5, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "m": 1_000_000,
           "bn": 1_000_000_000, "trillion": 1_000_000_000_000}  # fmt: skip
_UNIT_SAME = {"percent": "%", "per": "%", "dollars": "$", "usd": "$", "euros": "€", "eur": "€", "pounds": "£"}
_CLAIM_NEGATIONS = frozenset("not no never nor none neither nobody nothing without cannot denied denies deny".split())
# words that make a statement an allegation or a possibility: dropping one states it as fact
_HEDGES = frozenset(
    "alleged allegedly reportedly suspected apparently possibly possible may might could likely unconfirmed "
    "claimed purported purportedly accused".split()
)
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december".split()
)
# how a source reports a statement: one outlet's "said" is another's "told reporters"
_TELLING = frozenset(
    "said says say told tells stated states added adds noted notes explained explains wrote writes announced "
    "announces reported reports according reporters statement confirmed confirms".split()
)
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)

# The kinds of page whose claims are their author's: a section or a URL path segment named so
# (The Guardian's "commentisfree", The Telegraph's "comment"), and what a title or a disclaimer says
_GENRE_SECTIONS = {
    **dict.fromkeys("opinion opinions op-ed op-eds oped opeds editorial editorials commentisfree comment commentary "
                    "column columns columnist columnists".split(), "opinion"),
    **dict.fromkeys("review reviews kit-reviews".split(), "review"),
}  # fmt: skip
# of those, the words a URL path means so only as its first segment ("/comment/…" at The Telegraph,
# "/reviews/…"): deeper down they are a site's comment form or a news story's "review" folder
_GENRE_FIRST_SEGMENT = frozenset({"comment", "review", "reviews"})
_GENRE_TITLES = {
    # "Opinion: …", "Opinion - …", "The Guardian view on Hong Kong | Editorial"
    r"^(?:opinion|editorial|op-ed|column|commentary)\s*(?:[:|–—]|\s-\s)"
    r"|(?:[|–—]|\s-\s)\s*(?:opinion|editorial|op-ed|column|commentary)\s*$": "opinion",
    # "16-inch MacBook Pro review: …", "Clymer workshop manual review | MoreBikes", "… review - …";
    # not "Budget under review", "2024 in review", "Council orders review" (no separator after it).
    # A news headline can be "Pentagon review: what it found", so a title alone is not enough:
    # the page must also speak in the first person (extract.py), as a reviewer does
    r"^review\s*[:|–—]|(?<!\bin )(?<!\bunder )\breview\s*(?:[:|–—]|\s-\s)": "review",
}  # fmt: skip
_GENRE_NOTES = {
    # "The views and opinions expressed in the article do not necessarily reflect those of …"
    r"\b(?:views|opinions)(?: (?:and|or) opinions)? expressed (?:in (?:this|the) (?:article|column|piece|op-ed)|here)"
    r"\b[^.\n]{0,40}\b(?:author|necessarily|solely|own)\b": "opinion",
}

ENGLISH = Language(
    code="en",
    function_words=FUNCTION_WORDS,
    stop_words=_spacy_stop_words,
    sentence_starters=_STARTERS,
    dangling=_DANGLING,
    furniture_prefix=_PREFIX,
    furniture=_FURNITURE,
    caption=_CAPTION,
    not_label=_NOT_LABEL,
    glued=_GLUED,
    seam=_SEAM,
    elisions=_ELISIONS,
    before_number=_BEFORE_NUMBER,
    before_name=_BEFORE_NAME,
    reporting_forms=_REPORTING,
    attribution=_ATTRIBUTION,
    first_person=_FIRST_PERSON,
    spoken=_SPOKEN,
    speaker_next=_SPEAKER_NEXT,
    reporting_lemmas=_REPORT,
    opinion_lemmas=_OPINION,
    attributed=_ATTRIBUTED,
    partisans=_PARTISANS,
    denying=frozenset({"deny", "dispute", "reject", "refute", "contest"}),
    claim_nouns=frozenset({"claim", "allegation", "accusation", "report", "account", "assertion"}),
    negators=frozenset({"never", "not", "n't"}),
    modals=_MODALS,
    future=_FUTURE,
    conditional=_CONDITIONAL,
    conditions=_CONDITIONS,
    unasserting_lemmas=_UNASSERTING,
    accusing=frozenset("accuse suspect charge arrest suspicion allegation accusation".split()),
    hedging_adverbs=_HEDGING,
    uncut=_UNCUT,
    # "Both men are in the lockup, but are expected to be released once they appear before a
    # justice": cut before "but", the brief holds them
    uncut_tail=frozenset({"but"}),
    number_alone=r"(?i)^(?:he|she|they)\s+(?:was|is|were|are|'s|’s)\s+\d+(?:\s+years?\s+old)?\s*\.?$",
    outcome_nouns=frozenset(
        "ban fine suspension sentence jail prison punishment sanction sack sacking dismissal expulsion penalty "
        "relegation deportation extradition disqualification".split()
    ),
    facing_lemmas=frozenset({"face", "risk"}),
    possible_words=frozenset({"possible", "potential", "likely"}),
    hedging_adjectives=frozenset(
        "possible potential likely probable suspected alleged apparent presumed purported supposed".split()
    ),
    light_lemmas=_LIGHT,
    sides=frozenset({"for", "against"}),
    age_words=frozenset({"old", "age", "aged", "year"}),
    bounds=r"\b(?:up to|as (?:many|much|few|little) as|(?:more|fewer|less|greater|higher|lower) than|at (?:least|most)"
    r"|(?:nearly|almost|about|around|approximately|roughly|some|over|under|below|above|upwards of|close to"
    r"|an estimated|estimated|up to around|in excess of|just over|just under))$",
    bounds_after=r"^(?:or so|or more|or fewer|or less|odd|plus)\b",
    leans=_LEANS,
    aside=_ASIDE,
    connective=CONNECTIVE,
    meta_opener=_META_OPENER,
    meta_that=_META_THAT,
    meta_according=_META_ACCORDING,
    possessive=r"(?:['’]s|['’])$",
    leading_det=r"^(?:the|a|an)\s+",
    name_run=_NAME,
    said_where=_SAID_WHERE,
    lead_in=_LEAD_IN,
    aside_words=_ASIDE_WORDS,
    suffixes=r"(?:ing|ed|es|s|ly)$",
    acronym_stoplist=ACRONYM_STOPLIST,
    number_words=MappingProxyType(_NUMBER_WORDS),
    scales=MappingProxyType(_SCALES),
    unit_words=MappingProxyType(_UNIT_SAME),
    negation_words=_CLAIM_NEGATIONS,
    hedges=_HEDGES,
    calendar_words=_CALENDAR,
    telling_words=_TELLING,
    referring=frozenset({"the", "this", "that", "its", "their", "his", "her"}),
    months=_MONTHS,
    acronym_words=ACRONYM_WORDS,
    form_labels=FORM_LABELS,
    name_titles=NAME_TITLES,
    name_inner_words=NAME_INNER_WORDS,
    disease_after=DISEASE_AFTER,
    diseases=DISEASES,
    genre_sections=_GENRE_SECTIONS,
    genre_first_segment=_GENRE_FIRST_SEGMENT,
    genre_titles=_GENRE_TITLES,
    genre_notes=_GENRE_NOTES,
    prompts=PROMPTS,
)
LANGUAGE = ENGLISH
