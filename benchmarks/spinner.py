"""A synonym "article spinner", used ONLY to build evaluation data for the reuse and spin detectors.

It imitates the cheap spinners that content farms run over wire copy: walk the text, and swap words (and a few
fixed phrases) for an entry of a thesaurus picked at random, blind to sense and context — so "ground troops"
becomes "floor troops" and "Associated Press" can become "Linked Press". The thesaurus below is written by hand
for this script and shares nothing with the detector (crossread.stages.spin has no synonym table at all: it
works from n-gram statistics, word frequencies and embeddings), so the evaluation does not test the detector
against its own resource.
"""

from __future__ import annotations

import random
import re

# Phrase swaps first (spinners carry a phrase list), then single words. Several entries are deliberately
# wrong-sense, as in real spun copy.
PHRASES: dict[str, list[str]] = {
    "according to": ["in accordance with", "based on"],
    "in order to": ["so as to", "in an effort to"],
    "as well as": ["along with", "in addition to"],
    "a number of": ["a variety of", "a selection of"],
    "more than": ["greater than", "over"],
    "at least": ["at the very least", "no less than"],
    "last week": ["final week", "previous week"],
    "last year": ["final year", "previous year"],
    "next week": ["subsequent week", "up coming week"],
    "of course": ["of program", "naturally"],
    "in the past": ["in the previous", "formerly"],
    "for example": ["for instance", "as an illustration"],
    "because of": ["due to", "owing to"],
    "took place": ["took location", "happened"],
    "set up": ["established", "set upward"],
}

WORDS: dict[str, list[str]] = {
    "said": ["stated", "reported", "mentioned", "explained"], "says": ["states", "claims", "mentions"],
    "told": ["instructed", "informed", "advised"], "announced": ["introduced", "declared", "revealed"],
    "reported": ["noted", "documented", "described"], "added": ["included", "extra"],
    "asked": ["questioned", "requested"], "warned": ["cautioned", "alerted"],
    "confirmed": ["verified", "established"], "believe": ["think", "imagine"], "think": ["feel", "consider"],
    "make": ["produce", "generate", "create"], "made": ["produced", "generated", "built"],
    "take": ["choose", "acquire", "consider"], "took": ["acquired", "grabbed"], "get": ["acquire", "obtain"],
    "got": ["obtained", "acquired"], "give": ["provide", "supply"], "gave": ["offered", "supplied"],
    "help": ["aid", "support", "assist"], "helped": ["aided", "assisted"], "need": ["require", "want"],
    "want": ["desire", "wish"], "wanted": ["desired", "wished"], "show": ["display", "exhibit"],
    "showed": ["displayed", "exhibited"], "find": ["locate", "uncover"], "found": ["located", "discovered"],
    "keep": ["preserve", "retain"], "start": ["commence", "begin"], "started": ["commenced", "began"],
    "begin": ["commence", "start"], "end": ["conclude", "finish"], "ended": ["concluded", "finished"],
    "run": ["operate", "manage"], "lead": ["guide", "direct"], "led": ["guided", "directed"],
    "leave": ["depart", "exit"], "left": ["remaining", "departed", "still left"], "meet": ["satisfy", "fulfill"],
    "move": ["shift", "transfer"], "use": ["utilize", "employ"], "used": ["utilized", "employed"],
    "try": ["attempt", "endeavor"], "tried": ["attempted", "endeavored"], "call": ["phone", "contact"],
    "called": ["termed", "known as"], "seen": ["witnessed", "noticed"], "see": ["observe", "witness"],
    "hold": ["maintain", "keep"], "held": ["maintained", "kept"], "kill": ["slay", "eliminate"],
    "killed": ["slain", "eliminated"], "die": ["perish", "expire"], "died": ["perished", "expired"],
    "hit": ["struck", "strike"], "attack": ["assault", "strike"], "attacks": ["assaults", "strikes"],
    "arrested": ["detained", "apprehended"], "charged": ["billed", "accused"], "charges": ["fees", "costs"],
    "release": ["launch", "discharge"], "released": ["launched", "unveiled"], "face": ["encounter", "confront"],
    "faces": ["encounters", "confronts"], "plan": ["strategy", "program", "scheme"],
    "plans": ["strategies", "programs", "ideas"], "build": ["construct", "develop"], "open": ["open up", "unlock"],
    "close": ["shut", "near"], "closed": ["shut", "shut down"], "win": ["earn", "gain"], "won": ["earned", "gained"],
    "lost": ["misplaced", "dropped"], "fell": ["dropped", "declined"], "rose": ["increased", "climbed"],
    "big": ["huge", "massive"], "large": ["big", "sizeable"], "small": ["little", "tiny"],
    "little": ["small", "minor"], "great": ["terrific", "fantastic"], "good": ["great", "excellent"],
    "bad": ["poor", "terrible"], "new": ["brand new", "fresh", "novel"], "old": ["aged", "previous"],
    "high": ["substantial", "large"], "low": ["reduced", "minimal"], "important": ["crucial", "essential"],
    "major": ["significant", "key"], "key": ["crucial", "essential", "important"], "main": ["primary", "principal"],
    "several": ["various", "numerous"], "many": ["several", "numerous"], "most": ["many", "the majority of"],
    "early": ["initial", "early on"], "late": ["belated", "overdue"], "recent": ["current", "modern"],
    "former": ["previous", "past"], "current": ["existing", "present"], "public": ["general public", "community"],
    "local": ["regional", "neighborhood"], "national": ["nationwide", "countrywide"],
    "international": ["worldwide", "global"], "foreign": ["overseas", "international"],
    "military": ["armed forces", "navy"], "direct": ["immediate", "straight"], "quick": ["fast", "rapid"],
    "quickly": ["rapidly", "speedily"], "strong": ["powerful", "robust"], "clear": ["obvious", "distinct"],
    "possible": ["feasible", "attainable"], "likely": ["probable", "most likely"], "free": ["totally free", "cost-free"],
    "full": ["complete", "entire"], "whole": ["entire", "complete"], "own": ["personal", "individual"],
    "able": ["capable", "in a position"], "ready": ["prepared", "all set"], "sure": ["certain", "positive"],
    "ground": ["floor", "land"], "house": ["residence", "home"], "home": ["property", "residence"],
    "office": ["business office", "workplace"], "building": ["constructing", "developing"],
    "city": ["town", "metropolis"], "country": ["nation", "state"], "state": ["condition", "point out"],
    "area": ["region", "spot"], "place": ["location", "spot", "area"], "world": ["globe", "planet"],
    "people": ["individuals", "persons", "folks"], "man": ["male", "guy"], "woman": ["female", "lady"],
    "men": ["males", "guys"], "women": ["females", "ladies"], "child": ["kid", "youngster"],
    "children": ["kids", "youngsters"], "family": ["household", "relatives"], "friend": ["pal", "buddy"],
    "friends": ["pals", "buddies"], "police": ["law enforcement", "cops"], "officials": ["officers", "authorities"],
    "official": ["formal", "officer"], "leader": ["chief", "head"], "leaders": ["chiefs", "heads"],
    "government": ["authorities", "administration"], "president": ["chairman", "head"],
    "minister": ["preacher", "clergyman"], "spokesman": ["representative", "agent"],
    "company": ["business", "firm", "organization"], "group": ["team", "crew"], "team": ["staff", "crew"],
    "party": ["celebration", "occasion"], "market": ["industry", "marketplace"], "business": ["company", "organization"],
    "money": ["funds", "dollars"], "deal": ["offer", "package"], "price": ["cost", "rate"],
    "report": ["record", "statement"], "reports": ["stories", "records"], "news": ["information", "information"],
    "statement": ["assertion", "declaration"], "decision": ["determination", "choice"],
    "issue": ["problem", "situation"], "question": ["problem", "dilemma"], "problem": ["dilemma", "difficulty"],
    "way": ["method", "technique"], "ways": ["methods", "techniques"], "point": ["stage", "level"],
    "part": ["portion", "element"], "case": ["circumstance", "scenario"], "fact": ["simple fact", "reality"],
    "time": ["period", "moment"], "day": ["working day", "day time"], "days": ["times", "working days"],
    "week": ["7 days", "working week"], "month": ["thirty day period", "calendar month"],
    "year": ["12 months", "calendar year"], "years": ["many years", "decades"], "night": ["evening", "night time"],
    "morning": ["early morning", "dawn"], "life": ["existence", "lifestyle"], "death": ["demise", "dying"],
    "war": ["warfare", "combat"], "fight": ["battle", "combat"], "fighting": ["battling", "combating"],
    "troops": ["troopers", "forces"], "soldiers": ["troopers", "servicemen"], "attack's": ["assault's"],
    "power": ["energy", "electricity"], "force": ["power", "pressure"], "forces": ["powers", "pressures"],
    "support": ["assist", "guidance"], "aid": ["help", "assist"], "security": ["protection", "safety"],
    "safety": ["protection", "basic safety"], "health": ["wellness", "well being"], "care": ["treatment", "attention"],
    "hospital": ["clinic", "healthcare facility"], "school": ["college", "university"],
    "students": ["learners", "pupils"], "water": ["drinking water", "h2o"], "fire": ["blaze", "hearth"],
    "car": ["auto", "vehicle"], "road": ["street", "highway"], "crash": ["accident", "collision"],
    "game": ["match", "sport"], "season": ["period", "time"], "player": ["participant", "gamer"],
    "players": ["participants", "gamers"], "film": ["movie", "motion picture"], "show's": ["display's"],
    "star": ["celebrity", "famous person"], "music": ["audio", "tunes"], "phone": ["telephone", "mobile phone"],
    "video": ["movie", "clip"], "evidence": ["proof", "evidence and facts"], "court": ["courtroom", "tribunal"],
    "law": ["regulation", "legislation"], "rules": ["regulations", "policies"], "judge": ["decide", "choose"],
    "trial": ["demo", "test"], "prison": ["jail", "penitentiary"], "victim": ["target", "sufferer"],
    "victims": ["targets", "sufferers"], "suspect": ["suspicious", "doubt"], "shot": ["photo", "shot"],
    "shooting": ["capturing", "taking pictures"], "earthquake": ["quake", "tremor"], "storm": ["storm", "tempest"],
    "damage": ["harm", "destruction"], "injured": ["hurt", "wounded"], "dead": ["lifeless", "useless"],
    "began": ["commenced", "started out"], "around": ["about", "close to"], "about": ["about", "close to"],
    "after": ["following", "soon after"], "before": ["prior to", "ahead of"], "during": ["through", "all through"],
    "since": ["considering that", "due to the fact"], "while": ["even though", "although"],
    "however": ["nevertheless", "however"], "also": ["also", "in addition"], "still": ["nonetheless", "continue to"],
    "very": ["really", "extremely"], "almost": ["practically", "nearly"], "often": ["frequently", "typically"],
    "already": ["previously", "currently"], "again": ["once again", "once more"], "only": ["only", "just"],
    "associated": ["linked", "related"], "united": ["joined", "unified"], "white": ["white-colored", "whitened"],
    "general": ["common", "basic"], "supreme": ["ultimate", "paramount"], "secretary": ["assistant", "clerk"],
    "central": ["main", "core"], "national's": ["nationwide's"], "press": ["push", "media"],
    "league": ["association", "alliance"], "union": ["union", "coalition"], "department": ["division", "section"],
    "agency": ["company", "bureau"], "service": ["support", "assistance"], "services": ["solutions", "providers"],
    "system": ["method", "program"], "control": ["manage", "regulate"], "record": ["document", "report"],
    "second": ["2nd", "next"], "first": ["initial", "very first"], "third": ["3rd"], "last": ["final", "past"],
    "next": ["subsequent", "following"], "hours": ["several hours", "hrs"], "minutes": ["mins", "moments"],
}

_TOKEN = re.compile(r"[A-Za-z][A-Za-z']*|[^A-Za-z]+")


def _match_case(src: str, repl: str) -> str:
    if src.isupper() and len(src) > 1:
        return repl.upper()
    if src[:1].isupper():
        return repl[:1].upper() + repl[1:]
    return repl


def spin(text: str, rate: float = 0.5, seed: int = 0) -> str:
    """Spin ``text``: each thesaurus word (or phrase) is swapped with probability ``rate``, sense-blind.

    Only words in the thesaurus change, word order and everything else stay, which is what makes spun copy
    detectable by alignment (same positions, different words) and, without a reference, by its broken phrases.
    """
    rng = random.Random(seed)
    for phrase, subs in PHRASES.items():
        pattern = re.compile(r"\b" + re.escape(phrase) + r"\b", re.IGNORECASE)
        text = pattern.sub(lambda m, subs=subs: _match_case(m.group(0), rng.choice(subs)) if rng.random() < rate
                           else m.group(0), text)
    out = []
    for tok in _TOKEN.findall(text):
        subs = WORDS.get(tok.lower())
        if subs and rng.random() < rate:
            out.append(_match_case(tok, rng.choice(subs)))
        else:
            out.append(tok)
    return "".join(out)


# ------------------------------------------------------------------------------------------------ paraphraser

_SAID_END = re.compile(r"^(?P<body>.+?),?\s+(?P<who>(?:[A-Z][\w.'-]*\s?){1,4}|he|she|they|officials)\s+"
                       r"(?P<verb>said|says|told reporters|added)\.$")
_OPENERS = ("Meanwhile, ", "In addition, ", "At the same time, ", "Separately, ", "Notably, ")
_FUNCTION = {" in order to ": " to ", " that the ": " the ", " was not ": " wasn't ", " did not ": " didn't ",
             " is not ": " isn't ", " will ": " would ", " has been ": " was ", " have been ": " were "}


def _rewrite_sentence(s: str, rng: random.Random) -> str:
    m = _SAID_END.match(s)
    if m and rng.random() < 0.8:  # "X happened, he said." -> "He said that x happened."
        body = m.group("body").strip().strip('"“”')
        who = m.group("who").strip()
        who = who[:1].upper() + who[1:]
        s = f"{who} {m.group('verb')} that {body[:1].lower() + body[1:]}."
    elif ", " in s and rng.random() < 0.6:  # move the first clause to the end
        head, tail = s.rstrip(".").split(", ", 1)
        if len(head.split()) >= 2 and len(tail.split()) >= 3:
            s = tail[:1].upper() + tail[1:] + ", " + head[:1].lower() + head[1:] + "."
    for a, b in _FUNCTION.items():
        if a in s and rng.random() < 0.5:
            s = s.replace(a, b, 1)
    out = []
    for tok in _TOKEN.findall(s):  # light synonym changes, fewer than a spinner makes
        subs = WORDS.get(tok.lower())
        out.append(_match_case(tok, rng.choice(subs)) if subs and rng.random() < 0.15 else tok)
    s = "".join(out)
    if rng.random() < 0.2:
        s = rng.choice(_OPENERS) + s[:1].lower() + s[1:]
    return s


def paraphrase(text: str, seed: int = 0, keep: float = 0.8) -> str:
    """A rule-based rewrite: sentences dropped, merged and restructured (clause moves, reported-speech
    inversion, function-word changes, a few synonyms). Crude next to a human rewrite, but it changes structure,
    not just words, which is what separates a paraphrase from spun copy."""
    rng = random.Random(seed)
    paras = []
    for para in text.split("\n"):
        sents = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", para.strip()) if s]
        sents = [_rewrite_sentence(s, rng) for s in sents if rng.random() < keep or len(sents) == 1]
        merged: list[str] = []
        for s in sents:
            if merged and len(merged[-1].split()) < 14 and len(s.split()) < 14 and rng.random() < 0.4:
                merged[-1] = merged[-1].rstrip(".") + ", and " + s[:1].lower() + s[1:]
            else:
                merged.append(s)
        if merged:
            paras.append(" ".join(merged))
    if len(paras) > 3:  # swap two middle paragraphs
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    return "\n\n".join(paras)
