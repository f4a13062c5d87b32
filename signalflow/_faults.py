"""A test-only hook: die with SIGKILL at a named point of delivery.

The fault-injection tests run the delivery worker in a subprocess with
``SIGNALFLOW_TEST_KILL_AT=<point>`` and restart it, proving that a kill -9 at any step
neither loses nor doubles an alert. Unset (always, outside those tests) it does nothing.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "SIGNALFLOW_TEST_KILL_AT"

# claimed: row leased, nothing sent; posted: Slack root message posted, receipt not saved;
# replied: thread reply posted, receipt not saved; message_recorded: the message's receipt
# saved, later steps (the root's edit, a chart's upload) not yet done; edited: the root
# edited, the edit step not yet recorded; recorded: every step done, the row marked sent.
POINTS = ("claimed", "posted", "replied", "message_recorded", "edited", "recorded")


def checkpoint(point: str) -> None:
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)
