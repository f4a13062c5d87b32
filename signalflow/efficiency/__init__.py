"""Tokens per watt: reference measurements, conversion to the facility, vendor claims.

What other parts call::

    from signalflow.efficiency import Catalog
    config = settings.section(EfficiencySettings)
    catalog = Catalog.load(extra=config.file, paths=config.data)
    catalog.evaluate("b200_llama70b_facility")        # EstimateValue(value=6.97, ...)
"""

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
