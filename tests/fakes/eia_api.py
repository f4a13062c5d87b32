"""A handler for the local HTTP server that answers like the EIA API v2 ``.../data/`` route.

It serves a list of rows the way the real API does: ``facets[<f>][]`` filter, ``start`` and
``end`` bound the period, ``sort[i][column]``/``sort[i][direction]`` order the rows, and
``offset``/``length`` page them, at most 5,000 rows per reply whatever ``length`` asks.
``response.total`` is the number of matching rows *as a string*, as in the real replies, and
a reply that leaves rows behind carries the API's "incomplete return" warning. Only the data
columns asked with ``data[i]`` (and their ``-units``) come back. ::

    api = EiaV2(rows, route="/v2/electricity/facility-fuel/data/", key="k",
                data_columns={"generation", "gross-generation"})
    http_server.routes[api.route] = api
    ...
    assert [q["offset"] for q in api.calls] == [["0"], ["5000"]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakes.http_server import Reply, Request

ROW_CAP = 5000  # the most rows one JSON reply holds
INCOMPLETE = {
    "warning": "incomplete return",
    "description": "The API can only return 5000 rows in JSON format.  Please consider constraining "
    "your request with facet, start, or end, or using offset to paginate results.",
}


@dataclass
class EiaV2:
    rows: list[dict[str, Any]]
    route: str
    key: str
    data_columns: set[str]
    frequency: str = "monthly"
    date_format: str = "YYYY-MM"
    calls: list[dict[str, list[str]]] = field(default_factory=list)
    stop_after: int | None = None  # answer no rows from this offset on (a server cut short)

    def __call__(self, request: Request) -> Reply:
        q = request.query
        self.calls.append(q)
        if q.get("api_key") != [self.key]:
            return Reply(403, {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}})
        asked = [v[0] for k, v in sorted(q.items()) if k.startswith("data[")]
        facets = {k[len("facets[") : -len("][]")]: set(v) for k, v in q.items() if k.startswith("facets[")}
        chosen = [r for r in self.rows if all(str(r.get(f)) in vs for f, vs in facets.items())]
        if "start" in q:
            chosen = [r for r in chosen if str(r["period"]) >= q["start"][0]]
        if "end" in q:
            chosen = [r for r in chosen if str(r["period"]) <= q["end"][0]]
        sorts = sorted(k for k in q if k.startswith("sort[") and k.endswith("[column]"))
        for column_key in reversed(sorts):  # stable sorts, last key first
            direction = q.get(column_key.replace("[column]", "[direction]"), ["asc"])[0]
            column = q[column_key][0]
            chosen.sort(key=lambda r: str(r.get(column) or ""), reverse=direction == "desc")
        offset = int(q.get("offset", ["0"])[0])
        length = min(int(q.get("length", [str(ROW_CAP)])[0]), ROW_CAP)
        if self.stop_after is not None and offset >= self.stop_after:
            page = []
        else:
            page = chosen[offset : offset + length]
        drop = self.data_columns - set(asked)
        drop |= {f"{c}-units" for c in drop}
        response = {
            "warnings": [INCOMPLETE] if len(chosen) > offset + len(page) else [],
            "total": str(len(chosen)),
            "dateFormat": self.date_format,
            "frequency": q.get("frequency", [self.frequency])[0],
            "data": [{k: v for k, v in r.items() if k not in drop} for r in page],
            "description": "a local stand-in for the EIA API v2",
        }
        params = {"frequency": response["frequency"], "data": asked, "offset": offset, "length": length}
        return Reply(200, {"response": response, "request": {"command": self.route, "params": params},
                           "apiVersion": "2.1.8"})
