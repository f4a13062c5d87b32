"""The public surface: ``signalflow.__all__`` is exactly what a plugin author or caller needs,
each name comes from a public module, and ``import signalflow`` alone stays cheap."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import signalflow
from signalflow import errors, series
from signalflow.notifiers import base as notifier_base
from signalflow.notifiers import notification
from signalflow.sources import base as source_base

PROJECT_ROOT = Path(__file__).resolve().parents[1]
INCLUDED_PRIVATE_MEMBERS = {"__version__"}


def _defined_in(module) -> set[str]:
    """The public classes and functions a module defines itself (not those it imports)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }


def test_all_is_sorted_and_unique() -> None:
    assert signalflow.__all__ == sorted(set(signalflow.__all__))


def test_every_exported_name_is_importable() -> None:
    for name in signalflow.__all__:
        namespace: dict = {}
        exec(f"from signalflow import {name}", namespace)
        assert namespace[name] is getattr(signalflow, name), name


def test_every_exported_name_comes_from_a_public_signalflow_module() -> None:
    for name in signalflow.__all__:
        if name in INCLUDED_PRIVATE_MEMBERS:
            continue
        value = getattr(signalflow, name)
        home = signalflow._LAZY.get(name) or value.__module__
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == home, (name, value.__module__, home)
            assert value.__name__ == name, f"{name} is exported under another name"
        assert home.startswith("signalflow.") and not any(
            part.startswith("_") for part in home.split(".")
        ), f"{name} comes from the private module {home}"
        assert getattr(importlib.import_module(home), name) is value, name


def test_no_other_public_name_leaks_out() -> None:
    # Submodules become attributes of the package once something imports them; they are
    # reachable, not exported.
    public = {
        name
        for name, value in vars(signalflow).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public - set(signalflow.__all__) == set()


def test_every_exception_is_exported() -> None:
    exceptions = {name for name in _defined_in(errors) if issubclass(getattr(errors, name), BaseException)}
    assert "SignalflowError" in exceptions and "DeliveryOutcomeUnknown" in exceptions
    assert exceptions - set(signalflow.__all__) == set()


def test_every_plugin_and_series_type_is_exported() -> None:
    wanted = (
        _defined_in(source_base)
        | _defined_in(notifier_base)
        | _defined_in(notification)
        | _defined_in(series)
        | {"Clock"}
    ) - {"describe", "notifier_classes"}  # helpers of the notifier module, not types
    assert {"Source", "RefWarning", "Notifier", "Receipt", "Notification", "Batch", "utcnow"} <= wanted
    assert wanted - set(signalflow.__all__) == set()


def test_dir_lists_the_lazy_names() -> None:
    assert set(signalflow.__all__) <= set(dir(signalflow))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        signalflow.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("signalflow.NoSuchThing resolved")


def test_importing_signalflow_does_not_load_the_heavy_parts() -> None:
    probe = (
        "import sys, signalflow\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'sqlalchemy', 'httpx', 'pydantic', 'signalflow.series')"
        " if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert signalflow.Batch.__module__ == 'signalflow.series'\n"
        "assert 'signalflow.series' in sys.modules and 'pandas' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
