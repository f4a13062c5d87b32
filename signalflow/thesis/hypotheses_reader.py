"""The ``hypotheses:`` section of a thesis file, read into
:class:`~signalflow.thesis.model.Hypothesis` values (what each one claims and how it is
verified is in ``thesis/hypotheses.py``).

Kept apart from the evaluation so the loader, and with it ``signalflow check``, does not
import numpy and pandas.
"""

from __future__ import annotations

from signalflow.thesis.functions_spec import ValueKind
from signalflow.thesis.model import Hypothesis
from signalflow.thesis.resolve import Resolver

HYPOTHESIS_KEYS = ("name", "claim", "who", "said", "source", "verify", "by")


def read_hypotheses(builder, entry, derived: dict) -> tuple[Hypothesis, ...]:
    """The ``hypotheses:`` section, each ``verify`` resolved; problems go to the builder's reader."""
    if entry is None:
        return ()
    r = builder.reader
    items = r.sequence(entry.value, "hypotheses") or []
    resolver = Resolver(builder.path, derived, ())
    out: list[Hypothesis] = []
    for item in items:
        fields = r.mapping(item, "a hypothesis", HYPOTHESIS_KEYS, ("name", "claim", "verify", "by"))
        if fields is None or not {"name", "claim", "verify", "by"} <= set(fields):
            continue
        name = r.string(fields["name"].value, "hypothesis name")
        if name is None or not builder.valid_name(fields["name"].value, name, "hypothesis"):
            continue
        if any(h.name == name for h in out):
            r.problem(fields["name"].value, f"duplicate hypothesis {name!r}")
            continue
        parsed = builder.expression(fields["verify"].value, f"hypothesis {name}: verify")
        by = r.date(fields["by"].value, f"hypothesis {name}: by")
        said = r.date(fields["said"].value, f"hypothesis {name}: said") if "said" in fields else None
        if parsed is None or by is None:
            continue
        if said is not None and said > by:
            r.problem(fields["by"].value, f"hypothesis {name}: by ({by}) is before said ({said})")
            continue
        verify = resolver.resolve(parsed[0], ValueKind.BOOL, f"hypothesis {name}: verify")
        text = {k: (r.string(fields[k].value, f"hypothesis {name}: {k}") or "") if k in fields else "" for k in ("claim", "who", "source")}
        out.append(
            Hypothesis(name, text["claim"].strip(), verify, parsed[1], by, r.loc(fields["name"].value), text["who"].strip(), said, text["source"].strip())
        )
    r.problems.extend(resolver.problems)
    return tuple(out)
