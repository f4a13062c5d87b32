"""Noticing rule-file edits: a cheap poll of names, sizes and modification times."""

from __future__ import annotations

from pathlib import Path

from signalflow.thesis.loader import thesis_files


class RulesWatcher:
    """``changed()`` is True once after any thesis file under ``directory`` is added,
    removed or modified."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.seen = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        if not self.directory.is_dir():
            return {}
        out = {}
        for path in thesis_files(self.directory):
            try:
                st = path.stat()
            except OSError:
                continue
            out[str(path)] = (st.st_mtime_ns, st.st_size)
        return out

    def changed(self) -> bool:
        now = self.snapshot()
        if now == self.seen:
            return False
        self.seen = now
        return True
