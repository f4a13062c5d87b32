"""Items not in English are detected and left unclassified; no English rule fires on them."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from fakes.http_server import Reply
from signalflow.news.classify import Classifier
from signalflow.news.language import detect
from signalflow.settings import Settings
from signalflow.sources.news_settings import FeedConfig
from signalflow.sources.http import HttpClient
from signalflow.sources.news import NewsSource, feed_health

RSS = "nicolus_picoFeed"
HEADLINES = Path(__file__).resolve().parents[1] / "data" / "headlines.csv"

# The heise.rdf item that English rules took for a deployment delay ("halt\w*" in "Haltbarkeit").
HALTBARKEIT = (
    "iPhone-Entsperr-Tool: Apple plant wohl keine Klage auf Herausgabe",
    "Apple will die Schwachstelle, die das FBI mit Hilfe einer Dritt-Firma zum Zugriff auf das iPhone eines "
    'Attentäters verwendet hat, offenbar nicht auf juristischem Wege in Erfahrung bringen. Die Lücke habe wohl '
    'nur eine "kurze Haltbarkeit".',
)


@pytest.mark.parametrize(
    "text, language",
    [
        (" ".join(HALTBARKEIT), "de"),
        ("Le gouvernement veut accélérer le déploiement de la fibre dans les zones rurales", "fr"),
        ("Руководители разведки США предупредили о кибератаках", "ru"),
        ("El gobierno retrasa la construcción del centro de datos por la falta de energía", "es"),
        ("Microsoft signs 300 MW power deal", "en"),
        ("TSMC slashes 2015 capex", "en"),  # terse: no function words, stays English
        ("Samsung dials down component orders", "en"),
        ("Meta Pauses Data Center Builds in Texas, Alabama", "en"),
    ],
)
def test_detect(text, language):
    assert detect(text) == language


def test_the_haltbarkeit_item_is_no_deployment_delay():
    result = Classifier.default().classify(*HALTBARKEIT)
    assert (result.label, result.language, result.rule) == (None, "de", "")
    assert result.as_dict()["language"] == "de"


def test_every_labelled_english_headline_stays_english():
    with HEADLINES.open(newline="", encoding="utf-8") as handle:
        headlines = [row["headline"] for row in csv.DictReader(handle)]
    assert len(headlines) >= 150
    assert [h for h in headlines if detect(h) != "en"] == []


@pytest.mark.parametrize(
    "name, language",
    [("heise.rdf", "de"), ("pcinpact.xml", "fr"), ("rue89.xml", "fr"), ("univers_freebox.xml", "fr"),
     ("xakep.ru.xml", "ru"), ("dailymail.co.uk.xml", "en"), ("googleblog.xml", "en")],
)  # fmt: skip
def test_real_captures_are_told_apart(shared_data: Path, name, language):
    events = NewsSource(Settings()).import_file(shared_data / "rss" / RSS / name).events
    found = Counter(e.language for e in events)
    assert found.most_common(1)[0][0] == language, found
    assert all(e.label is None for e in events if e.language != "en")


def test_feed_health_counts_the_items_in_another_language(http_server, shared_data: Path):
    body = (shared_data / "rss" / RSS / "heise.rdf").read_bytes()
    http_server.routes["/heise"] = Reply(200, body, {"Content-Type": "application/rdf+xml"})
    http = HttpClient("news", retries=0, sleep=lambda s: None)
    settings = Settings(feeds=[FeedConfig(name="heise", url=http_server.url + "/heise")])
    state: dict[str, str] = {}
    batch = NewsSource(settings, http=http, clock=lambda: datetime(2025, 3, 10)).collect([], state)
    (health,) = feed_health(state)
    assert health.new_entries == 60 and health.other_language == 60
    assert batch.observations == [] and all(e.label is None for e in batch.events)
