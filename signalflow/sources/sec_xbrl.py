"""A filing's own XBRL: the dimensional facts companyfacts does not carry.

Reads an XBRL instance (``nvda-20240128_htm.xml``) or an inline-XBRL filing document (the
10-Q/10-K ``.htm`` itself) with the standard library's ElementTree, and keeps contexts (period
and dimensions) and facts (concept local name, value). Names are compared by their local part,
so every taxonomy year (us-gaap/2023, /2024...) reads alike.

What :mod:`.sec_filing` makes of it:

- customer concentration: ``ConcentrationRiskPercentage1`` on ``srt:MajorCustomersAxis``,
  counted only with a *revenue* benchmark (``SalesRevenueNetMember``,
  ``RevenueFromContractWithCustomerMember``...): shares of receivables are not shares of
  revenue. A context on a geography or product axis is a group of customers, not one.
- the remaining performance obligation expected within twelve months: the percentage tagged on
  the earliest bucket of the typed start-date axis, or that bucket's amount over the total.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from signalflow.errors import PayloadError

INLINE_NS = "http://www.xbrl.org/2013/inlineXBRL"
INSTANCE_NS = "http://www.xbrl.org/2003/instance"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
BLOCKS = {"p", "div", "td", "li"}
SENTENCE_END = re.compile(r"\.\s")

NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"twenty-four": 24, "thirty": 30, "thirty-six": 36, "forty-eight": 48, "sixty": 60}


def local(name: str) -> str:
    """``{ns}Name``, ``prefix:Name`` or ``Name`` -> ``Name``."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


@dataclass(frozen=True, slots=True)
class Context:
    """An XBRL context: its period (``start`` None for an instant) and its dimensions, axis
    local name -> member QName (explicit) or value (typed)."""

    id: str
    start: date | None
    end: date
    dims: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return 0 if self.start is None else (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact: ``value`` is a float for numbers, the text for everything else (``format``
    says how inline text reads, e.g. ``durmonth``). ``indirect`` is set when the sentence
    around an inline fact calls it an indirect customer's share."""

    concept: str
    context: Context
    value: float | str
    indirect: bool = False
    format: str = ""


@dataclass
class XbrlDocument:
    """The facts of one filing document and its cover page (dei) values."""

    facts: list[Fact]
    dei: dict[str, str]
    document: str = ""

    def named(self, concept: str) -> list[Fact]:
        return [f for f in self.facts if f.concept == concept]

    @property
    def period_end(self) -> date | None:
        """The balance-sheet date: the end of the cover page's DocumentType context."""
        found = [f.context.end for f in self.facts if f.concept == "DocumentType" and not f.context.dims]
        return max(found) if found else None


def sniff(head: bytes) -> bool:
    """True for an XBRL instance or an inline-XBRL document (the first bytes of a file)."""
    if INLINE_NS.encode() in head:
        return True
    return INSTANCE_NS.encode() in head and re.search(rb"<(\w+:)?xbrl[\s>]", head) is not None


def read_document(path: Path) -> XbrlDocument:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise PayloadError(str(path), f"not well-formed XML: {exc}") from None
    except OSError as exc:
        raise PayloadError(str(path), f"cannot read: {exc.strerror}") from None
    return parse_root(root, str(path))


def parse_root(root: ET.Element, origin: str = "") -> XbrlDocument:
    """Facts of an instance (``<xbrli:xbrl>``) or of an inline document (``<html>``)."""
    contexts = {c.id: c for c in (_context(el) for el in root.iter(f"{{{INSTANCE_NS}}}context")) if c}
    inline = root.tag.endswith("}html") or root.tag == "html"
    raw: list[tuple[ET.Element, str, str]] = []
    if inline:
        for el in root.iter():
            if el.tag in (f"{{{INLINE_NS}}}nonFraction", f"{{{INLINE_NS}}}nonNumeric"):
                raw.append((el, local(el.get("name", "")), el.get("contextRef", "")))
    else:
        for el in root:
            if "contextRef" in el.attrib:
                raw.append((el, local(el.tag), el.attrib["contextRef"]))
    if not raw and not contexts:
        raise PayloadError(origin, "no XBRL facts found (not an XBRL instance or inline-XBRL document)")
    parents = {child: parent for parent in root.iter() for child in parent} if inline else {}
    facts: list[Fact] = []
    dei: dict[str, str] = {}
    for el, concept, ref in raw:
        context = contexts.get(ref)
        if context is None or el.get(XSI_NIL) == "true":
            continue
        value = _value(el, inline)
        if value is None:
            continue
        if isinstance(value, str) and not context.dims and concept not in dei:
            dei[concept] = value
        indirect = inline and concept == "ConcentrationRiskPercentage1" and _says_indirect(el, parents)
        facts.append(Fact(concept, context, value, indirect, local(el.get("format", ""))))
    return XbrlDocument(facts, dei, origin)


def _context(el: ET.Element) -> Context | None:
    dims: dict[str, str] = {}
    start = end = instant = None
    for child in el.iter():
        tag = local(child.tag)
        if tag == "explicitMember":
            dims[local(child.get("dimension", ""))] = (child.text or "").strip()
        elif tag == "typedMember":
            dims[local(child.get("dimension", ""))] = "".join(child.itertext()).strip()
        elif tag == "startDate":
            start = child.text
        elif tag == "endDate":
            end = child.text
        elif tag == "instant":
            instant = child.text
    try:
        if instant:
            return Context(el.get("id", ""), None, date.fromisoformat(instant.strip()), dims)
        if start and end:
            return Context(el.get("id", ""), date.fromisoformat(start.strip()), date.fromisoformat(end.strip()), dims)
    except ValueError:
        return None
    return None


def _value(el: ET.Element, inline: bool) -> float | str | None:
    text = "".join(el.itertext()).strip()
    if not inline or local(el.tag) == "nonNumeric":
        if not inline and el.get("unitRef") is not None:
            try:
                return float(text)
            except ValueError:
                return None
        return text
    fmt = local(el.get("format", ""))
    if fmt in ("fixed-zero", "zerodash", "numdash"):
        number = 0.0
    else:
        digits = text.replace("\u00a0", "").replace(" ", "")
        if fmt in ("num-comma-decimal", "numcommadecimal", "numdotcomma"):
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
        try:
            number = float(digits)
        except ValueError:
            return None
    number *= 10 ** int(el.get("scale", "0") or 0)
    return -number if el.get("sign") == "-" else number


def _says_indirect(el: ET.Element, parents: dict[ET.Element, ET.Element]) -> bool:
    """Whether the sentence holding an inline fact calls the customer indirect (NVIDIA tags an
    estimated share of a cloud provider buying through distributors on the same axis as its
    direct customers)."""
    block = parents.get(el)
    while block is not None and local(block.tag) not in BLOCKS:
        block = parents.get(block)
    if block is None:
        return False
    marker = "\x00"
    text = "".join(_text_with_marker(block, el, marker))
    at = text.index(marker)
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    begin = max((e for e in ends if e <= at), default=0)
    stop = min((e for e in ends if e > at), default=len(text))
    return re.search(r"\bindirect", text[begin:stop], re.IGNORECASE) is not None


def _text_with_marker(node: ET.Element, target: ET.Element, marker: str):
    if node is target:
        yield marker
    if node.text:
        yield node.text
    for child in node:
        yield from _text_with_marker(child, target, marker)
        if child.tail:
            yield child.tail


def duration_months(text: str, fmt: str = "") -> float | None:
    """``P12M``, ``P1Y``, ``twelve months``, ``one year`` or ``12`` (``durmonth``) in months."""
    t = " ".join(text.lower().split())
    iso = re.fullmatch(r"p(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?", t)
    if iso and any(iso.groups()):
        years, months, days = (int(g or 0) for g in iso.groups())
        return years * 12 + months + days / 30.4375
    fmt = local(fmt)
    try:
        if fmt == "durmonth":
            return float(t)
        if fmt == "duryear":
            return float(t) * 12
    except ValueError:
        return None
    words = re.fullmatch(r"([a-z\-]+|\d+(?:\.\d+)?)\s+(year|month)s?", t)
    if not words:
        return None
    count = NUMBER_WORDS.get(words.group(1))
    if count is None:
        try:
            count = float(words.group(1))
        except ValueError:
            return None
    return count * 12 if words.group(2) == "year" else float(count)
