"""The built-in function registry: one implementation for every ``impl`` of the function
table (``functions_spec.py``), from the core, valuation and hypothesis modules. The engine
hands it to every evaluation context it builds."""

from __future__ import annotations

from signalflow.thesis import functions, functions_hypotheses, functions_valuation, layers
from signalflow.thesis.registry import FunctionRegistry

BUILTIN_FUNCTIONS = FunctionRegistry(
    functions.IMPLEMENTATIONS,
    functions_valuation.IMPLEMENTATIONS,
    functions_hypotheses.IMPLEMENTATIONS,
    layers.IMPLEMENTATIONS,
)
