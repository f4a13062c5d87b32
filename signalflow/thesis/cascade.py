"""The bottleneck cascade: layer shares, the binding layer and its moves, point in time.

    c = cascade(theses, provider, at)     # every layered thesis backtested up to ``at``
    c.provider                            # ``provider`` plus the ``layer.*`` series
    c.moves                               # [Move(at, layer, previous, share, theses), ...]

    c = cascade(theses, provider, at, only={"reader"})  # just the layers ``reader`` reads
    c.read({"power"})                     # and power's, when a condition reads it too
    c.complete().moves                    # the other layered theses, then the moves

Each thesis is backtested at most once per ``Cascade``: a live pass builds one and lets its
readers, their conditions and the cascade notification share it.

A layer's share at T is the share of its theses in Soft Warning or Kill Switch at T (each
thesis's state at T from its backtest, so from what was known at T); a thesis not yet
evaluated at T (or that cannot be evaluated) counts as not warning. Theses are backtested in layer order
(``layers.layer_order``), so a thesis reading ``layer(X)`` sees X's share at each instant.

The binding layer at T is the layer with the highest share, when that share is above 0 and
at least two layers have theses. Ties: the layer binding just before keeps binding when it
is among the tied; otherwise the first tied layer in bottleneck-map order (compute ...
inference, then other names alphabetically). A move is an instant where the binding layer
changes (to a layer or to none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import logging

import numpy as np
import pandas as pd

from signalflow.series import SeriesFrame, SeriesKind, SeriesProvider
from signalflow.thesis.engine import backtest
from signalflow.thesis.layers import PREFIX, layer_key, layer_order, layers_read
from signalflow.thesis.model import LAYERS, Thesis

__all__ = ["Cascade", "LayeredProvider", "Move", "cascade", "layer_rank", "readers_provider"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """The binding layer changed at ``at``: to ``layer`` ("" when none binds), from
    ``previous``, with ``share`` of its theses warning (``theses``, the ids)."""

    at: datetime
    layer: str
    previous: str
    share: float
    theses: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "layer": self.layer,
            "previous": self.previous,
            "share": round(self.share, 4),
            "theses": list(self.theses),
        }


class LayeredProvider:
    """``base`` with the ``layer.*`` series added (each read up to ``until`` like any other)."""

    def __init__(self, base: SeriesProvider, frames: dict[str, SeriesFrame]) -> None:
        self.base = base
        self.frames = frames

    def load(self, keys, until: datetime | None = None) -> dict[str, SeriesFrame]:
        keys = set(keys)
        out = self.base.load(sorted(k for k in keys if not k.startswith(PREFIX)), until=until)
        for key in sorted(k for k in keys if k.startswith(PREFIX) and k in self.frames):
            frame = self.frames[key]
            data = frame.data
            if until is not None:
                data = data[data["known_at"] <= pd.Timestamp(until)]
            out[key] = SeriesFrame(key, data.reset_index(drop=True), SeriesKind.LEVEL, "share")
        return out


@dataclass
class Cascade:
    """Every layered thesis's warning timeline (or those asked for) and what follows from them."""

    provider: LayeredProvider
    at: datetime
    order: list[Thesis] = field(default_factory=list)  # the theses, in layer order
    warning: dict[str, pd.Series] = field(default_factory=dict)  # thesis id -> bool at change instants
    members: dict[str, list[str]] = field(default_factory=dict)  # layer -> thesis ids
    moves: list[Move] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # theses that could not be backtested

    def share(self, layer: str, at: datetime) -> float | None:
        """``layer(layer)`` at ``at`` (None before any of its theses was evaluated)."""
        frame = _share_frame(layer, self.members.get(layer, []), self.warning)
        known = frame.data[frame.data["known_at"] <= pd.Timestamp(at)]
        return float(known["value"].iloc[-1]) if len(known) else None

    def binding(self, at: datetime | None = None) -> Move | None:
        """The move that put the current binding layer in place (at or before ``at``)."""
        moves = [m for m in self.moves if at is None or m.at <= at]
        return moves[-1] if moves else None

    def read(self, layers: set[str]) -> LayeredProvider:
        """:attr:`provider`, with the ``layer.*`` series of ``layers`` too (their theses, and
        the layers those read, backtested if they were not yet)."""
        todo = [m for name in layers for m in self.members.get(name, [])]
        self._backtest(_closure(self.order, self.members, todo))
        for name in sorted(layers):
            self._frame(name)
        return self.provider

    def complete(self) -> Cascade:
        """Every layered thesis backtested (those not yet) and the moves found; itself."""
        self._backtest({th.id for th in self.order if th.layer})
        for th in self.order:  # what every thesis reads, as a cascade of all theses has it
            for name in layers_read(th):
                self._frame(name)
        self.moves = _moves(self.members, self.warning) if len(self.members) >= 2 else []
        return self

    def _frame(self, name: str) -> None:
        frames = self.provider.frames
        if layer_key(name) not in frames:
            frames[layer_key(name)] = _share_frame(name, self.members.get(name, []), self.warning)

    def _backtest(self, ids: set[str]) -> None:
        """Backtest the theses of ``ids`` not backtested yet, in layer order, each over the
        layers it reads (built once all their theses are)."""
        for th in self.order:
            if th.id not in ids or th.id in self.warning or th.id in self.failed:
                continue
            for name in layers_read(th):
                self._frame(name)
            try:
                result = backtest(th, self.provider, None, self.at)
            except Exception as exc:  # one broken thesis counts as not warning; the others go on
                log.error("backtest for the cascade failed", extra={"thesis": th.id, "error": f"{type(exc).__name__}: {exc}"})
                self.failed.append(th.id)
                continue
            self.warning[th.id] = _warning(result.timeline)


def layer_rank(name: str) -> tuple[int, str]:
    """Bottleneck-map order, then other names alphabetically (the tie-break)."""
    return (LAYERS.index(name), "") if name in LAYERS else (len(LAYERS), name)


def cascade(theses: Sequence[Thesis], provider: SeriesProvider, at: datetime, only: set[str] | None = None) -> Cascade:
    """Backtest the layered theses (and the layers their ``layer()`` calls read) up to ``at``.
    With ``only`` (thesis ids), just what those theses read through ``layer()`` is built and
    no moves are computed (the live pass before evaluating its readers; :meth:`Cascade.complete`
    adds the rest)."""
    ordered = layer_order(theses)
    members: dict[str, list[str]] = {}
    for th in ordered:
        if th.layer:
            members.setdefault(th.layer, []).append(th.id)
    out = Cascade(LayeredProvider(provider, {}), at, ordered, members=members)
    if only is None:
        return out.complete()
    by_id = {th.id: th for th in ordered}
    out.read({name for tid in sorted(only) if tid in by_id for name in layers_read(by_id[tid])})
    return out


def _closure(ordered: list[Thesis], members: dict[str, list[str]], todo: list[str]) -> set[str]:
    """The theses of ``todo`` and those they read through ``layer()``, transitively."""
    by_id = {th.id: th for th in ordered}
    needed: set[str] = set()
    while todo:
        tid = todo.pop()
        if tid in needed or tid not in by_id:
            continue
        needed.add(tid)
        todo += [m for name in layers_read(by_id[tid]) for m in members.get(name, [])]
    return needed


def _warning(timeline: pd.DataFrame) -> pd.Series:
    """True where the thesis is in Soft Warning or Kill Switch, at the instants it changes."""
    if timeline.empty:
        return pd.Series([], dtype=bool, index=pd.DatetimeIndex([], name="at"))
    warn = pd.Series(np.asarray(timeline["state"] != "ok"), index=timeline.index)
    keep = np.r_[True, warn.to_numpy()[1:] != warn.to_numpy()[:-1]]
    return warn[keep]


def _matrix(ids: list[str], warning: dict[str, pd.Series]) -> pd.DataFrame:
    """One column per thesis: warning (1) or not (0) at every instant any of them changed;
    0 before a thesis's first evaluation; empty when none was ever evaluated."""
    parts = {tid: warning[tid].astype(float) for tid in ids if tid in warning and len(warning[tid])}
    if not parts:
        return pd.DataFrame()
    index = pd.DatetimeIndex(sorted(set().union(*(p.index for p in parts.values()))))
    frame = pd.DataFrame({tid: p.reindex(index).ffill() for tid, p in parts.items()}, index=index)
    return frame.fillna(0.0).reindex(columns=ids, fill_value=0.0)


def _share_frame(name: str, ids: list[str], warning: dict[str, pd.Series]) -> SeriesFrame:
    """``layer.name``: one row per instant the share changes, known at that instant."""
    key = layer_key(name)
    matrix = _matrix(ids, warning)
    if matrix.empty:
        return SeriesFrame.empty(key)
    share = matrix.mean(axis=1).to_numpy()
    keep = np.r_[True, share[1:] != share[:-1]]
    at = matrix.index.to_numpy()[keep].astype("datetime64[ns]")
    data = pd.DataFrame({"period_start": at, "period_end": at, "value": share[keep], "known_at": at})
    return SeriesFrame(key, data, SeriesKind.LEVEL, "share")


def _moves(members: dict[str, list[str]], warning: dict[str, pd.Series]) -> list[Move]:
    layers = sorted(members, key=layer_rank)
    matrices = {name: _matrix(members[name], warning) for name in layers}
    instants = sorted(set().union(*(m.index for m in matrices.values() if not m.empty)))
    if not instants:
        return []
    index = pd.DatetimeIndex(instants)
    aligned = {
        name: (m.reindex(index).ffill().fillna(0.0) if not m.empty else pd.DataFrame(0.0, index=index, columns=members[name]))
        for name, m in matrices.items()
    }
    shares = np.stack([aligned[name].mean(axis=1).to_numpy() for name in layers])  # layer x instant
    moves: list[Move] = []
    current = ""
    for i, when in enumerate(index):
        column = shares[:, i]
        top = column.max()
        if top <= 0:
            binding = ""
        else:
            tied = [layers[k] for k in np.flatnonzero(column == top)]
            binding = current if current in tied else tied[0]
        if binding != current:
            row = aligned[binding].iloc[i] if binding else None
            theses = tuple(tid for tid in members.get(binding, []) if row is not None and row[tid] == 1.0)
            moves.append(Move(when.to_pydatetime(), binding, current, float(top) if binding else 0.0, theses))
            current = binding
    return moves


def readers_provider(
    theses: Sequence[Thesis], provider: SeriesProvider, at: datetime, of: Sequence[Thesis] | None = None
) -> SeriesProvider | None:
    """``provider`` with the ``layer.*`` series the theses (or just those ``of``) read up to
    ``at``, or None when none reads ``layer()`` (a pass evaluates those readers over it)."""
    readers = {th.id for th in (theses if of is None else of) if layers_read(th)}
    return cascade(theses, provider, at, only=readers).provider if readers else None
