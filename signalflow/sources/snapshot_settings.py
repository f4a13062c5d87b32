"""Settings of the snapshot sources ``grid`` (interconnection queues) and ``dc`` (Epoch AI
data centers), in a light module so loading settings imports no data library.

Each publisher's file is fetched from a URL you set; a publisher without one is only
imported (``signalflow import FILE``), and its series wait for the setting.
"""

from __future__ import annotations

from pydantic import Field

from signalflow.redact import SecretUrl
from signalflow.settings import Duration, SourceSettings

_CHECK = "checked with a conditional GET: an unchanged file costs one 304"


class GridSettings(SourceSettings):
    prefix = "grid"

    ercot_url: SecretUrl | None = Field(None, description="URL of ERCOT's monthly GIS report (XLSX); unset: import only")
    pjm_url: SecretUrl | None = Field(None, description="URL of PJM's queue export (XLSX); unset: import only")
    nyiso_url: SecretUrl | None = Field(None, description="URL of NYISO's interconnection queue (XLSX); unset: import only")
    miso_url: SecretUrl | None = Field(None, description="URL of MISO's GI Interactive Queue (CSV); unset: import only")
    caiso_url: SecretUrl | None = Field(None, description="URL of CAISO's queue report (XLSX); unset: import only")
    schedule: Duration = Field("1d", description=f"how often the queue files are {_CHECK}")


class DcSettings(SourceSettings):
    prefix = "dc"

    epoch_url: SecretUrl | None = Field(
        None, description="URL of Epoch AI's data_centers.zip (or data_centers.csv); unset: import only"
    )
    schedule: Duration = Field("1d", description=f"how often Epoch AI's data centers are {_CHECK}")
