"""What an analyst reads in a headline besides its label and figures.

* **counterparties** of a power contract: who buys and who sells. Syntax decides when it
  can ("A to supply B", "A buys power from B"); for "A signs a deal with B" the power
  producer is the seller (a watch-list utility, or a name such as "... Energy",
  "Avangrid"), the other party the buyer. Parties beyond the watch list are kept by name.
* **term** in years ("20-year PPA", "for 15 years", "two-decade deal").
* **technology**: nuclear, gas, solar, wind, storage, grid (also geothermal, hydro).
* **locations**: US states and countries, in order of mention.
* **delay**: what was delayed (a product or a site) and by how long, or until when.

Everything is a regular expression or a word list on the page; nothing is learned.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from signalflow.news.extract import CompanyMatcher

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20, "twenty-five": 25,
    "thirty": 30, "a": 1, "an": 1, "half a": 0.5,
}  # fmt: skip
_NUM = r"(\d{1,2}(?:\.\d)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"

_TERM = re.compile(
    r"\b" + _NUM + r"[\s-]*(?:year|yr)s?(?:[\s-]+long)?\b(?![\s-]*(?:old|high|low|ago|agenda|plan\b|record|wait|delay|backlog|lag))"
    r"|\b(?:for|over|lasting)\s+" + _NUM + r"\s+years\b"
    r"|\b(decade)[\s-]*long\b|\b(two|three)[\s-]+decades?\b",
    re.IGNORECASE,
)

TECHNOLOGIES: dict[str, re.Pattern[str]] = {
    "nuclear": re.compile(r"\b(?:nuclear|reactors?|SMRs?|fission|uranium|atomic)\b", re.IGNORECASE),
    "gas": re.compile(r"\b(?:natural[\s-]gas|gas[\s-](?:fired|plant|power|turbines?)|LNG|combined[\s-]cycle)\b", re.IGNORECASE),
    "solar": re.compile(r"\b(?:solar|photovoltaic|PV)\b", re.IGNORECASE),
    "wind": re.compile(r"\b(?:wind(?:\s?farms?|\s?power|\s?energy|\s?projects?)?|offshore wind)\b(?!ows|s of change)", re.IGNORECASE),
    "storage": re.compile(r"\b(?:batter(?:y|ies)|energy storage|storage|BESS)\b", re.IGNORECASE),
    "grid": re.compile(r"\b(?:transmission|substations?|interconnect\w*|power lines?|the grid|grid)\b", re.IGNORECASE),
    "geothermal": re.compile(r"\bgeothermal\b", re.IGNORECASE),
    "hydro": re.compile(r"\b(?:hydro(?:power|electric)?|hydro-electric)\b", re.IGNORECASE),
}  # fmt: skip

US_STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
)  # fmt: skip
COUNTRIES = {
    "United States": ("U.S.", "US", "USA", "United States", "America"),
    "United Kingdom": ("UK", "U.K.", "Britain", "United Kingdom", "England", "Scotland", "Wales"),
    "Ireland": ("Ireland",), "Germany": ("Germany",), "France": ("France",), "Spain": ("Spain",),
    "Italy": ("Italy",), "Netherlands": ("Netherlands", "Dutch"), "Denmark": ("Denmark",), "Sweden": ("Sweden",),
    "Norway": ("Norway",), "Finland": ("Finland",), "Poland": ("Poland",), "Portugal": ("Portugal",),
    "Japan": ("Japan",), "China": ("China",), "Taiwan": ("Taiwan",), "South Korea": ("South Korea", "Korea"),
    "India": ("India",), "Singapore": ("Singapore",), "Malaysia": ("Malaysia",), "Indonesia": ("Indonesia",),
    "Australia": ("Australia",), "Canada": ("Canada",), "Mexico": ("Mexico",), "Brazil": ("Brazil",),
    "Chile": ("Chile",), "Saudi Arabia": ("Saudi Arabia",), "United Arab Emirates": ("UAE", "United Arab Emirates"),
    "Israel": ("Israel",), "South Africa": ("South Africa",), "Vietnam": ("Vietnam",), "Thailand": ("Thailand",),
}  # fmt: skip
# Longer names first so "West Virginia" is not read as "Virginia", "New Mexico" not as "Mexico".
_PLACES = sorted(
    [(s, s) for s in US_STATES] + [(alias, country) for country, aliases in COUNTRIES.items() for alias in aliases],
    key=lambda p: len(p[0]),
    reverse=True,
)
_PLACE = re.compile(r"(?<![\w.])(" + "|".join(re.escape(p) for p, _ in _PLACES) + r")(?![\w])")
_PLACE_OF = dict(_PLACES)

# Who sells power: watch-list producers, and names that say so.
PRODUCER_TICKERS = frozenset({"CEG", "VST", "TLN", "NRG", "D", "SO", "NEE", "DUK", "AEP", "EXC", "ETR", "XEL", "OKLO", "SMR"})
_PRODUCER_NAME = re.compile(
    r"\b(?:Energy|Power|Renewables?|Solar|Wind|Nuclear|Electric|Utilit\w+|Generation|Avangrid|AES|NextEra|"
    r"Brookfield|Kairos|Oklo|X-energy|Zelestra|Fervo|Duke|Entergy|Exelon|Ørsted|Orsted|Enel|EDF|Iberdrola|RWE|"
    r"Engie|Invenergy|Dominion|Xcel|Helion|Commonwealth Fusion|Sage Geosystems|Ormat|Eni|TotalEnergies|Shell|BP)\b"
)  # fmt: skip
_DEAL_VERB = (
    r"(?i:signs?|signed|inks?|inked|strikes?|struck|enters?|entered|agrees?|agreed|secures?|secured|lands?|"
    r"clinch\w*|seals?|sealed|announces?|announced|taps?|tapped|picks?|reach\w*|finali[sz]\w*|partners?)"
)
_NAME_STOP = r"(?:" + _DEAL_VERB + r"|(?i:to|will|in|for|and|with|from|buys?|bought|supply|supplies|powers?|deal|ppa))"
_WORD_OF_NAME = r"(?!" + _NAME_STOP + r"\b)[A-Z0-9][\w&.'’-]*"
_NAME = r"(" + _WORD_OF_NAME + r"(?:\s+(?:" + _WORD_OF_NAME + r"|&|of)){0,4})"
_SUPPLY = re.compile(_NAME + r"\s+(?:to|will|would)\s+(?:supply|power|provide|sell)\b[^.]*?\b(?:to|for)?\s*" + _NAME)
_BUYS_FROM = re.compile(_NAME + r"\s+(?:to\s+)?(?:buy\w*|purchas\w*|procur\w*|sourc\w*|gets?|takes?)\b[^.]*?\bfrom\s+" + _NAME)
_SUBJECT = re.compile(r"^\s*" + _NAME + r"(?:\s*\([A-Z.]{1,6}\))?(?:\s+and\s+" + _NAME + r")?\s+" + _DEAL_VERB + r"\b")
_WITH = re.compile(r"\b(?i:with|from)\s+" + _NAME)
_NOT_A_NAME = re.compile(r"^(?:The|A|An|New|US|U\.S\.|AI|Data|Deal|PPA|Power|Nuclear|Solar|Wind|Three|Two|Its)$")

_ED = r"(?:delayed|postponed|pushed back|paused|halted|shelved|scrapped|cancell?ed|suspended|put on hold|mothballed)"
_ACTIVE = (
    r"(?:delays|postpones|pushes back|pauses|halts|shelves|scraps|cancels|suspends|puts off|stalls|mothballs|"
    r"slows|(?:has|have|had)\s+" + _ED + r"|to\s+(?:delay|pause|halt|postpone|scrap|cancel|shelve|suspend|slow)|"
    r"slowing|pausing|delaying|halting)(?:\s+or\s+\w+)?'?"
)
_OBJECT_END = (
    r"(?=\s+(?:by|until|till|to|in|at|on|due|amid|as|after|over|because|for|from|including|and|or|while|"
    r"says?|said|report|reports)\b|[,;:(—–]|\.(?=\s+(?-i:[a-z])|\s*$)|\s+-\s|$)"
)
_FILLER = r"(?:(?:some|certain|its|their|the|a|an|in|on|of|plans?\s+for|work\s+on|construction\s+(?:of|on|at))\s+)*"
_DELAY_PATTERNS = (  # (pattern, group holding what was delayed), tried in order
    re.compile(r"\b" + _ACTIVE + r"\s+" + _FILLER + r"(.+?)" + _OBJECT_END, re.IGNORECASE),
    re.compile(r"^\s*(?:delays?|pauses?|setbacks?)\s+(?:hit|at|to|for|in)\s+(.+?)" + _OBJECT_END, re.IGNORECASE),
    re.compile(
        r"^\s*(?:.{0,40}?\b(?:says?|said)\s+)?(.+?)\s+(?:\w+ly\s+)?(?:(?:is|are|was|were|has been|have been|may be|"
        r"could be|to be|will be|being)\s+)?" + _ED + r"\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"^\s*(.+?)\s+(?:(?:may|could|will|to)\s+)?(?:(?:face|faces|hit by|sees?|see|suffers?)\s+)?(?:an?\s+)?"
        r"(?:[\w.]+[\s-]+(?:week|month|quarter|year)s?[\s-]+)?(?:delays?|postponements?|pauses?|setbacks?)\b",
        re.IGNORECASE,
    ),
)
_NOT_WHAT = re.compile(r"^(?:or|and|in|hit|by|could|due|to|the|a|it|its|down|up|back|out)\b", re.IGNORECASE)
_BY = re.compile(r"\b(?:by|for|of)\s+(?:about\s+|around\s+|roughly\s+|up to\s+)?" + _NUM + r"\s+(weeks?|months?|quarters?|years?)\b", re.IGNORECASE)
_LONG = re.compile(_NUM + r"[\s-]+(week|month|quarter|year)s?[\s-]+(?:delay|postponement|pause|slip)", re.IGNORECASE)
_UNTIL = re.compile(r"\b(?:to|until|till|into)\s+((?:(?:early|mid|late|the end of|end of|H[12]|Q[1-4])[\s-]+)?(?:20[2-4]\d)(?:\s+or\s+20[2-4]\d)?)\b", re.IGNORECASE)
_MONTHS = {"week": 12 / 52, "month": 1.0, "quarter": 3.0, "year": 12.0}


@dataclass(frozen=True)
class Party:
    """A counterparty: its name as written, and its ticker when on the watch list."""

    name: str
    ticker: str | None = None


@dataclass(frozen=True)
class Delay:
    """What was delayed, and by how long (months) or until when, as far as the text says."""

    what: str = ""
    months: float | None = None
    until: str = ""


@dataclass(frozen=True)
class Details:
    buyer: Party | None = None
    seller: Party | None = None
    term_years: float | None = None
    technology: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    delay: Delay | None = None

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["technology"], out["locations"] = list(self.technology), list(self.locations)
        return out


def _number(text: str) -> float:
    text = text.lower()
    return float(_NUMBER_WORDS[text]) if text in _NUMBER_WORDS else float(text)


def term_years(text: str) -> float | None:
    """The contract term in years: '20-year PPA', 'for 15 years', 'decade-long'; None if unsaid."""
    for match in _TERM.finditer(text):
        number, over, decade, decades = match.groups()
        if decade:
            return 10.0
        if decades:
            return 10.0 * _NUMBER_WORDS[decades.lower()]
        years = _number(number or over)
        if 1 <= years <= 40:
            return years
    return None


def technologies(text: str) -> tuple[str, ...]:
    """The generation or grid technologies ``text`` names, in order of first mention."""
    found = [(m.start(), tech) for tech, pattern in TECHNOLOGIES.items() if (m := pattern.search(text))]
    return tuple(tech for _, tech in sorted(found))


def locations(text: str) -> tuple[str, ...]:
    """US states and countries named in ``text`` (aliases to one name), in order of mention."""
    return tuple(dict.fromkeys(_PLACE_OF[m.group(1)] for m in _PLACE.finditer(text)))


def _clean(name: str) -> str | None:
    name = re.sub(r"\s*\([A-Z.]{1,6}\)$", "", name.strip(" -–—'’\"“”"))
    words = name.split()
    while words and _NOT_A_NAME.match(words[-1]) and len(words) > 1:
        words.pop()  # "Constellation Power" stays, "Microsoft New" does not occur; trailing noise goes
    name = " ".join(words)
    return None if not name or _NOT_A_NAME.match(name) or name[0].isdigit() else name


def _party(name: str | None, matcher: CompanyMatcher) -> Party | None:
    name = _clean(name or "")
    if name is None:
        return None
    tickers = matcher.find(name)
    return Party(name, tickers[0] if tickers else None)


def _producer(party: Party) -> bool:
    return party.ticker in PRODUCER_TICKERS or bool(_PRODUCER_NAME.search(party.name))


def counterparties(text: str, matcher: CompanyMatcher) -> tuple[Party | None, Party | None]:
    """(buyer, seller) of a power contract named in ``text``, either None when unsaid."""
    if m := _SUPPLY.search(text):
        return _party(m.group(2), matcher), _party(m.group(1), matcher)
    if m := _BUYS_FROM.search(text):
        return _party(m.group(1), matcher), _party(m.group(2), matcher)
    parties: list[Party] = []
    if m := _SUBJECT.search(text):
        parties += [p for p in (_party(m.group(1), matcher), _party(m.group(2), matcher)) if p]
    if m := _WITH.search(text):
        if other := _party(m.group(1), matcher):
            parties.append(other)
    parties = list(dict.fromkeys(parties))[:2]
    if not parties:
        return None, None
    if len(parties) == 1:
        one = parties[0]
        return (None, one) if _producer(one) else (one, None)
    first, second = parties
    if _producer(first) and not _producer(second):
        return second, first
    return first, second


def delay(text: str) -> Delay | None:
    """What a delay, pause or cut names, and for how long; None when the text names none."""
    what = ""
    for pattern in _DELAY_PATTERNS:
        for m in pattern.finditer(text):
            found = re.sub(r"\s+(?:a|an|the)$", "", m.group(1).split(":")[0], flags=re.IGNORECASE).strip(" '’\"“”")
            if found and not _NOT_WHAT.match(found) and len(found.split()) <= 10:
                what = found
                break
        if what:
            break
    months = None
    if m := (_BY.search(text) or _LONG.search(text)):
        months = round(_number(m.group(1)) * _MONTHS[m.group(2).lower().rstrip("s")], 2)
    until = m.group(1) if (m := _UNTIL.search(text)) else ""
    if not (what or months or until):
        return None
    return Delay(what[:120], months, until)


DELAY_LABELS = frozenset({"deployment_delay", "order_cut", "capex_cut", "power_unavailable"})


def details(text: str, label: str | None, matcher: CompanyMatcher) -> Details:
    """Everything above that applies to an item of ``label``."""
    buyer = seller = None
    if label == "power_contract":
        buyer, seller = counterparties(text, matcher)
    return Details(
        buyer=buyer,
        seller=seller,
        term_years=term_years(text) if label == "power_contract" else None,
        technology=technologies(text),
        locations=locations(text),
        delay=delay(text) if label in DELAY_LABELS else None,
    )
