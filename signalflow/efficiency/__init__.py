"""Tokens per watt: reference measurements, conversion to the facility, vendor claims.

What other parts call::

    from signalflow.efficiency import Catalog
    config = settings.section(EfficiencySettings)
    catalog = Catalog.load(extra=config.file, paths=config.data)
    catalog.evaluate("b200_llama70b_facility")        # EstimateValue(value=6.97, ...)

The names load on first use (PEP 562): loading the settings imports
``efficiency.settings``, and with it this package, on every command.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signalflow.efficiency.catalog import Catalog, EstimateKind, load_config
    from signalflow.efficiency.model import (
        EfficiencyDatapoint,
        EstimateValue,
        FacilityAssumptions,
        OperatingPoint,
        PowerBoundary,
        TokenBasis,
        VendorClaim,
    )

__all__ = [
    "Catalog",
    "EfficiencyDatapoint",
    "EstimateKind",
    "EstimateValue",
    "FacilityAssumptions",
    "OperatingPoint",
    "PowerBoundary",
    "TokenBasis",
    "VendorClaim",
    "load_config",
]


def __getattr__(name: str) -> object:
    if name in ("Catalog", "EstimateKind", "load_config"):
        from signalflow.efficiency import catalog as home
    elif name in __all__:
        from signalflow.efficiency import model as home
    else:
        raise AttributeError(f"module 'signalflow.efficiency' has no attribute {name!r}")
    value = getattr(home, name)
    globals()[name] = value
    return value
