"""The expansions of one ``for_each`` template evaluated together, each expression walked
once for all of them.

    contexts = [pass_context(thesis, series_of[thesis.id], at, prior)[0] for thesis in expansions]
    stack(contexts)        # every expression and rule lifecycle of all, computed at once
    runs = [finish(ctx, prior) for ctx in contexts]   # as if each had been evaluated alone

Each expansion keeps its own timeline, exactly the one it has alone; the timelines are laid
end to end (a :class:`Layout`) and the template's expressions are evaluated once over the
whole length: arithmetic, comparisons and logic in one array operation, each series lookup
per expansion's part (:class:`StackedSeries`), each rule's lifecycle for every expansion
starting inactive in one go (``lifecycle.run_each``). The values and traces are then handed
to each expansion's own context as views of its part, so its status, transitions, causes
and state are read exactly as when it is evaluated alone.

Only what is known to keep the parts apart is stacked: the built-in functions listed in
:data:`STACKABLE` (``mean`` and ``zscore`` over a window only of a collected series),
series lookups of one kind. Anything else (news and revision functions, windows over a
computed expression, a series read as events in one expansion only) raises
:class:`Unstackable` and the caller evaluates each expansion alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from signalflow.thesis import lifecycle
from signalflow.thesis.arrays import NAT
from signalflow.thesis.ast import Call, Node, SeriesRef, children
from signalflow.thesis.context import Context, head_of
from signalflow.thesis.frames import PitSeries, Shift
from signalflow.thesis.functions import IMPLEMENTATIONS
from signalflow.thesis.model import Thesis
from signalflow.thesis.periods import months_back

__all__ = ["STACKABLE", "Shape", "Unstackable", "stack"]

# Functions whose value at an instant depends on that instant and the series only (never on
# the other instants evaluated), through lookups a StackedSeries makes part by part.
STACKABLE = frozenset(
    IMPLEMENTATIONS[name]
    for name in (
        "yoy", "qoq", "pct_change", "change", "lag", "ttm", "mean_n", "mean_window", "sum", "min",
        "max", "zscore", "abs", "latest", "days_since",
    )
)  # fmt: skip


class Unstackable(Exception):
    """The expansions cannot be evaluated together (the message says what): evaluate each."""


class Layout:
    """Timelines laid end to end: part ``k`` is ``t[bounds[k]:bounds[k + 1]]``."""

    def __init__(self, timelines: Sequence[np.ndarray]) -> None:
        self.bounds = np.r_[0, np.cumsum([len(t) for t in timelines])].astype(np.int64)
        self.t = np.concatenate(timelines) if timelines else np.zeros(0, np.int64)
        self._parts: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        self._part_of: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.bounds) - 1

    @property
    def part_of(self) -> np.ndarray:
        """The part each instant belongs to."""
        if self._part_of is None:
            self._part_of = np.repeat(np.arange(len(self)), np.diff(self.bounds))
        return self._part_of

    def parts(self, a: np.ndarray) -> list[np.ndarray]:
        """``a`` (one value per instant of the whole length) cut into its parts, the same
        view objects every time it is asked (series remember lookups by the array object)."""
        if len(a) != len(self.t):
            raise Unstackable(f"an array of {len(a)} values where {len(self.t)} instants are evaluated")
        hit = self._parts.get(id(a))
        if hit is None or hit[0] is not a:
            b = self.bounds.tolist()
            hit = self._parts[id(a)] = (a, [a[b[k] : b[k + 1]] for k in range(len(self))])
        return hit[1]


class Ranked:
    """Many sorted arrays searched as one: each value keyed by (its array, its rank among
    the values of all), so one ``searchsorted`` answers for every array at once what a
    ``searchsorted`` on each would."""

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        sizes = np.array([len(a) for a in arrays], np.int64)
        self.offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)  # where each array starts
        values = np.concatenate(arrays) if len(arrays) else np.zeros(0, np.int64)
        self.values = np.unique(values)
        self.width = len(self.values) + 1
        self.key = np.repeat(np.arange(len(arrays)), sizes) * self.width + np.searchsorted(self.values, values)

    def right(self, which: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``np.searchsorted(arrays[which[i]], x[i], side="right")`` for every ``i``."""
        rank = np.searchsorted(self.values, x, side="right")  # values of all up to x: ranks below it
        return np.searchsorted(self.key, which * self.width + rank - 1, side="right") - self.offsets[which]

    def exact(self, which: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The index of ``x[i]`` in ``arrays[which[i]]`` (its first), -1 where it is not there."""
        out = np.full(len(x), -1, np.int64)
        if not len(self.values):
            return out
        rank = np.searchsorted(self.values, x)
        ok = self.values[np.minimum(rank, len(self.values) - 1)] == x
        query = which * self.width + rank
        pos = np.searchsorted(self.key, query)
        ok &= self.key[np.minimum(pos, len(self.key) - 1)] == query
        out[ok] = pos[ok] - self.offsets[which[ok]]
        return out


class StackedSeries:
    """The series one reference of the template reads in each expansion, looked up part by
    part: what :class:`PitSeries` answers for one timeline, this answers for the layout.
    A series every expansion reads is asked once for the whole layout; the parts' rows are
    searched as one (:class:`Ranked`) where each part's lookup is a search of its rows."""

    def __init__(self, ref: str, layout: Layout, parts: Sequence[PitSeries]) -> None:
        kinds = {p.events for p in parts}
        if len(kinds) != 1:
            raise Unstackable(f"{ref} is a stream of events in some expansions only")
        self.ref = ref
        self.events = kinds.pop()
        self.layout = layout
        self.parts = tuple(parts)
        self.same = parts[0] if all(p is parts[0] for p in parts) else None  # every expansion reads it
        self.simple = all(p.simple for p in parts)  # one version per period, each known in order
        self._known: Ranked | None = None
        self._periods: Ranked | None = None
        self._columns: dict[str, np.ndarray] = {}
        self._counts: tuple[np.ndarray, np.ndarray] | None = None

    def _each(self, lookup: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
        cut = [self.layout.parts(a) for a in arrays]
        return np.concatenate([lookup(s, *(c[k] for c in cut)) for k, s in enumerate(self.parts)])

    def _column(self, name: str) -> np.ndarray:
        """The parts' arrays ``name`` end to end (``Ranked.offsets`` of the known instants
        mark where each starts: for these, as long as its rows)."""
        out = self._columns.get(name)
        if out is None:
            out = self._columns[name] = np.concatenate([getattr(p, name) for p in self.parts])
        return out

    def _lookup(self, t: np.ndarray) -> None:
        if len(t) != len(self.layout.t):
            raise Unstackable(f"{self.ref} looked up at {len(t)} instants where {len(self.layout.t)} are evaluated")

    def known_count(self, t: np.ndarray) -> np.ndarray:
        if self.same is not None:
            return self.same.known_count(t)
        if self._counts is not None and self._counts[0] is t:
            return self._counts[1]
        self._lookup(t)
        if self._known is None:
            self._known = Ranked([p.k_sorted for p in self.parts])
        out = self._known.right(self.layout.part_of, t)
        self._counts = (t, out)
        return out

    def _latest(self, t: np.ndarray, column: str, none: object) -> np.ndarray:
        """Each instant's ``column`` value at the latest row its part knows by then
        (``none`` before the first): by known_at for ``_latest_by_known``, the row of a
        simple series for ``v``."""
        count = self.known_count(t)
        assert self._known is not None
        ok = count > 0
        out = np.full(len(t), none, dtype=self._column(column).dtype)
        out[ok] = self._column(column)[self._known.offsets[self.layout.part_of[ok]] + count[ok] - 1]
        return out

    def latest_period(self, t: np.ndarray) -> np.ndarray:
        if self.same is not None:
            return self.same.latest_period(t)
        return self._latest(t, "_latest_by_known", NAT)

    def latest_value(self, t: np.ndarray) -> np.ndarray:
        if self.same is not None:
            return self.same.latest_value(t)
        if not self.simple:
            return self._each(PitSeries.latest_value, t)
        return self._latest(t, "v", np.nan)

    def value_at(self, t: np.ndarray, period: np.ndarray) -> np.ndarray:
        if self.same is not None:
            return self.same.value_at(t, period)
        if not self.simple:
            return self._each(PitSeries.value_at, t, period)
        self._lookup(t)
        if self._periods is None:
            self._periods = Ranked([p.periods for p in self.parts])
        which = self.layout.part_of
        row = self._periods.exact(which, period)  # a simple series' period index is its row
        ok = row >= 0
        at = self._periods.offsets[which[ok]] + row[ok]
        ok[ok] = self._column("k")[at] <= t[ok]
        out = np.full(len(t), np.nan)
        out[ok] = self._column("v")[self._periods.offsets[which[ok]] + row[ok]]
        return out

    def shifted(self, t: np.ndarray, period: np.ndarray, shift: Shift) -> np.ndarray:
        if self.same is not None:
            return self.same.shifted(t, period, shift)
        if not shift.months:
            return self._each(lambda s, t, p: s.shifted(t, p, shift), t, period)
        # The calendar arithmetic once for every part; each part then finds its own periods.
        back = np.full(len(period), NAT, np.int64)
        ok = period != NAT
        back[ok] = months_back(period[ok], shift.months)
        return self._each(lambda s, t, p, b: s.shifted(t, p, shift, b), t, period, back)

    def window_moments(
        self, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, budget: int
    ) -> tuple[np.ndarray, ...]:
        if self.same is not None:
            moments = self.same.window_moments(t, lo, hi, budget)
            if moments is None:
                raise Unstackable(f"a window of {self.ref} too large to sum exactly")
            return moments
        cut = [self.layout.parts(a) for a in (t, lo, hi)]
        each = [s.window_moments(cut[0][k], cut[1][k], cut[2][k], budget) for k, s in enumerate(self.parts)]
        if any(part is None for part in each):  # a running-sum fallback centres each part on its own
            raise Unstackable(f"a window of {self.ref} too large to sum exactly")
        return tuple(np.concatenate(column) for column in zip(*each))

    def window_stats(self, *args: object) -> tuple[np.ndarray, ...]:
        raise Unstackable(f"running window sums of {self.ref}")


class StackedContext(Context):
    """One walk of the template's expressions over every expansion's timeline (the
    template read as ``thesis``, its first expansion, writes it; ``slots`` maps each of its
    series references to what that reference reads in each of ``contexts``)."""

    def __init__(
        self, thesis: Thesis, contexts: Sequence[Context], layout: Layout, slots: dict[str, tuple[str, ...]]
    ) -> None:
        super().__init__(thesis, {}, layout.t, functions=contexts[0].functions)
        self.contexts = tuple(contexts)
        self.layout = layout
        self.slots = slots
        self._stacked: dict[str, StackedSeries] = {}
        self.starts = layout.bounds[:-1]
        self.heads = self.starts[[ctx.start > 0 for ctx in contexts]]  # instants an earlier pass evaluated
        # The instants each rule's lifecycle runs over (not the heads), and their parts' bounds.
        self.evaluated = np.ones(len(self.t), bool)
        self.evaluated[self.heads] = False
        lengths = np.diff(layout.bounds) - np.array([ctx.start for ctx in contexts], np.int64)
        self.evaluated_bounds = np.r_[0, np.cumsum(lengths)]
        self.parts: dict[str, list[lifecycle.Trace]] = {}  # rule -> its trace in each expansion

    def series(self, ref: str) -> StackedSeries:  # type: ignore[override]
        s = self._stacked.get(ref)
        if s is None:
            refs = self.slots.get(ref)
            if refs is None:
                raise Unstackable(f"{ref} is read where the template does not name it")
            s = self._stacked[ref] = StackedSeries(ref, self.layout, [c.series(r) for c, r in zip(self.contexts, refs)])
        return s

    def eval(self, node: Node, sh: tuple[Shift, ...] = ()) -> np.ndarray:
        key = (node, sh)
        out = self._values.get(key)
        if out is None:
            # An expression the group shares (it reads no series of its own) is read from
            # each expansion, which computes it once for all on the same calendar.
            if all(ctx.shared is not None and ctx.shared.lookup(node) is not None for ctx in self.contexts):
                out = np.concatenate([ctx.eval(node, sh) for ctx in self.contexts])
            else:
                out = self._eval(node, sh)
            self._values[key] = out
        return out

    def _eval(self, node: Node, sh: tuple[Shift, ...]) -> np.ndarray:
        if isinstance(node, Call) and self.functions.impl_of(self, node) not in STACKABLE:
            raise Unstackable(f"{node.func}() is evaluated for each expansion alone")
        return super()._eval(node, sh)

    def on_grid(self, node: Node, sh: tuple[Shift, ...], window: int) -> tuple[np.ndarray, np.ndarray]:
        raise Unstackable("a window over a computed expression")

    def at(self, t: np.ndarray) -> Context:
        raise Unstackable("an evaluation at other instants")

    def new_observations(self, refs: list[str]) -> np.ndarray:
        """:meth:`Context.new_observations` of each expansion, part by part."""
        out = np.zeros(len(self.t), bool)
        for ref in refs:
            count = self.series(ref).known_count(self.t)
            gained = np.r_[False, count[1:] > count[:-1]]
            gained[self.starts] = count[self.starts] > 0
            out |= gained
        out[self.heads] = False
        return out

    def _lifecycle(
        self, name: str, cond: np.ndarray, resolve: np.ndarray | None, releases: np.ndarray
    ) -> lifecycle.Trace:
        """Rule ``name``'s lifecycle in every expansion, each from its own memory (kept in
        :attr:`parts`; the stacked trace holds no memory of its own)."""
        evaluated = self.evaluated
        parts = lifecycle.run_each(
            self.t[evaluated],
            cond[evaluated],
            self.spec(name),
            self.evaluated_bounds,
            releases[evaluated],
            None if resolve is None else resolve[evaluated],
            [ctx.memories.get(name) for ctx in self.contexts],
        )
        # Each part after its head (the instant an earlier pass evaluated, from its memory).
        n = len(self.t)
        state, active, fired = np.empty(n, np.int8), np.empty(n, np.int64), np.empty(n, np.int64)
        for whole, column in ((state, "state"), (active, "active_at"), (fired, "fired_at")):
            whole[evaluated] = np.concatenate([getattr(part, column) for part in parts])
        heads = [head_of(ctx.memory(name)) for ctx in self.contexts if ctx.start > 0]
        if heads:
            state[self.heads], active[self.heads], fired[self.heads] = np.array(heads, np.int64).T
        b = self.layout.bounds.tolist()
        self.parts[name] = [
            lifecycle.Trace(state[b[k] : b[k + 1]], active[b[k] : b[k + 1]], fired[b[k] : b[k + 1]], part.memory)
            for k, part in enumerate(parts)
        ]
        return lifecycle.Trace(state, active, fired, lifecycle.Memory())


class Shape:
    """The expansions of one template read as one, found once for every pass over them:
    for each node of each expansion's expressions (by id), the node and the node at its
    place in the first expansion (a node no expansion names differently is its own); for
    each series reference of the first expansion, the reference read at its places in every
    expansion. Raises :class:`Unstackable` when the expansions differ in shape."""

    def __init__(self, theses: Sequence[Thesis]) -> None:
        self.theses = tuple(theses)
        self.index = {id(thesis): k for k, thesis in enumerate(self.theses)}
        self.template: dict[int, tuple[Node, Node]] = {}  # holds each node, so its id is not reused
        self.slots: dict[str, tuple[str, ...]] = {}
        seen: dict[int, tuple[Node, ...]] = {}
        trees = [list(thesis.expressions()) for thesis in self.theses]
        if len({len(t) for t in trees}) != 1:
            raise Unstackable("the expansions have different expressions")
        stack = [tuple(parts) for parts in zip(*trees)]
        while stack:
            same = stack.pop()
            first = same[0]
            if any(type(n) is not type(first) for n in same):
                raise Unstackable("the expansions have different expressions")
            before = seen.get(id(first))
            if before is not None:
                if any(a is not b for a, b in zip(before, same)):
                    raise Unstackable("one node of the template stands for different ones")
                continue
            seen[id(first)] = same
            for node in same:
                if self.template.setdefault(id(node), (node, first))[1] is not first:
                    raise Unstackable("one node of an expansion stands for different ones of the template")
            if isinstance(first, SeriesRef):
                refs = tuple(n.ref for n in same)  # type: ignore[attr-defined]
                if self.slots.setdefault(first.ref, refs) != refs:
                    raise Unstackable(f"{first.ref} stands for different series")
            kids = [children(n) for n in same]
            if len({len(k) for k in kids}) != 1:
                raise Unstackable("the expansions have different expressions")
            stack.extend(tuple(parts) for parts in zip(*kids))

    def slots_of(self, theses: Sequence[Thesis]) -> dict[str, tuple[str, ...]]:
        """Each reference of the first expansion, and what it reads in each of ``theses``."""
        at = []
        for thesis in theses:
            k = self.index.get(id(thesis))
            if k is None or self.theses[k] is not thesis:
                raise Unstackable(f"{thesis.id} is not one of the expansions")
            at.append(k)
        return {ref: tuple(refs[k] for k in at) for ref, refs in self.slots.items()}


class Part:
    """Expansion ``k``'s values of a stacked evaluation, cut from the stack's when its
    context asks for one (``Context.borrowed``): only what is read is looked up. Holds the
    values, not the contexts, so a chunk's arrays go with its contexts."""

    def __init__(self, template: dict[int, tuple[Node, Node]], values: dict, layout: Layout, k: int) -> None:
        self.template = template
        self.values = values
        self.layout = layout
        self.k = k

    def __call__(self, node: Node, sh: tuple[Shift, ...]) -> np.ndarray | None:
        hit = self.template.get(id(node))
        if hit is None or hit[0] is not node:  # not a node of the tree: the context computes it
            return None
        values = self.values.get((hit[1], sh))
        return None if values is None else self.layout.parts(values)[self.k]


def stack(contexts: Sequence[Context], shape: Shape | None = None) -> StackedContext:
    """Evaluate every expression and rule of ``contexts`` (those of expansions of one
    template, made by ``engine.pass_context``; ``shape``: theirs, or that of all the
    template's expansions, found once) together, and give each context its traces and, as
    it reads them, its values (the stacked context returned); raises :class:`Unstackable`
    (nothing given) when they cannot be."""
    shape = shape or Shape([ctx.thesis for ctx in contexts])
    layout = Layout([ctx.t for ctx in contexts])
    whole = StackedContext(shape.theses[0], contexts, layout, shape.slots_of([ctx.thesis for ctx in contexts]))
    thesis = whole.thesis
    for rule in thesis.rules:
        whole.trace(rule.name)
    for name in ("growth", "liquidity"):
        whole.condition(name)
    for derived in thesis.series.values():
        whole.eval(derived.expr)
    own = layout.parts(layout.t)
    for k, ctx in enumerate(contexts):
        ctx.t = own[k]
        ctx._instants.clear()
        ctx.borrowed = Part(shape.template, whole._values, layout, k)
        for name, parts in whole.parts.items():
            ctx._traces[name] = parts[k]
    return whole
