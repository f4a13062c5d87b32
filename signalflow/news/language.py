"""Which language a news item is in, so that English rules never judge another language.

The rules are English regular expressions: on a German summary, ``halt\\w*`` matches
"Haltbarkeit" (shelf life) and an item about a lawsuit became a deployment delay. An item is
taken as not English when its text is mostly in a non-Latin script, or when it carries more
function words of one other language than of English (at least :data:`MIN_FOREIGN`) and
lingua, limited to the few languages news feeds here come in, does not find it English.
Terse headlines with no function words at all ("TSMC slashes 2015 capex") stay English:
lingua alone misreads those, and an English rule firing on them is what we want.

Function words are counted first because they decide the common case (an English feed) in
microseconds; lingua runs only on the items they flag.

    >>> detect("Apple plant wohl keine Klage auf Herausgabe. Die Lücke habe nur eine kurze Haltbarkeit")
    'de'
    >>> detect("Microsoft signs 300 MW power deal")
    'en'
"""

from __future__ import annotations

import re
from functools import cache

ENGLISH = "en"
MIN_FOREIGN = 2  # function words of another language needed before an item is doubted

# Frequent function words, without those that are also English words ("die", "an", "in").
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to for on with as by is at from its it be are was were has have had that this "
        "will after over into than more says said amid about their which would could up out".split()
    ),
    "de": frozenset(
        "der das und nicht mit auf ist ein eine einen einem einer für von zu den dem des sich auch "
        "wird werden nach bei aus über wie oder noch nur vom zum zur im ins habe hat sind wohl keine "
        "kein mehr sein seine ihre diese dieser dass ob soll".split()
    ),
    "fr": frozenset(
        "le la les des du et est une un pour dans sur avec pas qui que au aux ce cette sont par "
        "plus ne se leur ses son sa été être nous vous il elle ils où mais".split()
    ),
    "es": frozenset(
        "el los las del y es una por para con que se su sus al lo como más pero está son fue "
        "ha este esta entre sobre también".split()
    ),
    "it": frozenset(
        "il lo gli della delle dei degli di e è una per con che si nel nella sul sulla alla "
        "anche più sono come questo questa".split()
    ),
    "pt": frozenset(
        "o os as da das do dos e é uma um para com que se no na nos nas ao à mais pelo pela "
        "como foi são está".split()
    ),
    "nl": frozenset(
        "de het een en van is op te met voor niet zijn dat die bij ook naar om uit worden wordt "
        "maar nog werd heeft hebben".split()
    ),
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_SCRIPTS = (  # (language code, letters of its script); a mostly non-Latin text is not English
    ("ru", re.compile(r"[Ѐ-ӿ]")),
    ("el", re.compile(r"[Ͱ-Ͽ]")),
    ("ar", re.compile(r"[؀-ۿ]")),
    ("he", re.compile(r"[֐-׿]")),
    ("ja", re.compile(r"[぀-ヿ]")),
    ("ko", re.compile(r"[가-힯]")),
    ("zh", re.compile(r"[一-鿿]")),
)


def function_words(text: str) -> dict[str, int]:
    """How many function words of each known language ``text`` holds."""
    words = [w.lower() for w in _WORD.findall(text)]
    return {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}


def detect(text: str) -> str:
    """An ISO 639-1 code for the language of ``text``: 'en' unless there is evidence otherwise."""
    letters = len(_LETTER.findall(text))
    if letters and len(_LATIN.findall(text)) < letters / 2:
        for code, script in _SCRIPTS:
            if len(script.findall(text)) >= letters / 4:
                # Japanese uses Han characters as well: kana decide it before Chinese is tried.
                return code
        return "und"  # another script we do not name
    counts = function_words(text)
    english = counts.pop(ENGLISH)
    foreign, hits = max(counts.items(), key=lambda kv: kv[1])
    if hits < MIN_FOREIGN or hits <= english:
        return ENGLISH
    named = _lingua(text)
    if named == ENGLISH:
        return ENGLISH
    return named or foreign


@cache
def _detector():
    """lingua over the languages our function words know (loaded on the first doubtful item)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [Language.ENGLISH, Language.GERMAN, Language.FRENCH, Language.SPANISH, Language.ITALIAN,
                 Language.PORTUGUESE, Language.DUTCH]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _lingua(text: str) -> str | None:
    found = _detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else None
