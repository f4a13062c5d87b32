"""Whose lease on an outbox row is known abandoned: a deliverer of this host that no longer
runs (taken over at once), or one of another host (only at the lease's expiry)."""

from __future__ import annotations

import os
import subprocess
import sys

from signalflow.alerts.lease import HOST, Owner, abandoned


def test_a_running_pass_of_this_process_holds_its_lease_and_an_ended_one_does_not():
    owner = Owner()
    with owner:
        assert not abandoned(owner.name)
    assert abandoned(owner.name)


def test_a_deliverer_process_that_exited_is_known_gone():
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait(timeout=60)
    assert abandoned(f"{HOST}:{finished.pid}::0123abcd")


def test_a_running_process_is_alive_unless_its_pid_was_reused_by_another_start():
    parent = os.getppid()
    assert not abandoned(f"{HOST}:{parent}::0123abcd")
    if os.path.exists(f"/proc/{parent}/stat"):
        assert abandoned(f"{HOST}:{parent}:1:0123abcd")  # same pid, another process's start time


def test_a_deliverer_on_another_host_or_an_unreadable_owner_is_never_assumed_gone():
    assert not abandoned("another-host:1:1:0123abcd")
    assert not abandoned("not an owner")
