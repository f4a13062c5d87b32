"""Shared fakes (tests/fakes) for this folder's tests."""

import sys
from pathlib import Path

# Test modules are imported in importlib mode, so the fakes' folder is put on the path here.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
