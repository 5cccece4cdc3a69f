"""The gate spec: ``gates.yaml`` (or the Python API's keyword arguments) → validated gates.

``models`` holds the pydantic models (the JSON Schema's source), ``load`` parses and validates,
``problems`` turns validation errors into located messages, ``yamlsource`` reads YAML with lines.
"""

from pytest_modelgate.spec.load import (
    gate_from_arguments,
    json_schema,
    load_spec,
    parse_spec,
    validate_arguments,
)
from pytest_modelgate.spec.models import (
    CHECK_MODELS,
    DataSpec,
    FairnessGate,
    Gate,
    MetricGate,
    ModelsSpec,
    Perturbation,
    PredictionColumns,
    ScanSpec,
    SliceBins,
    SliceWhere,
    Spec,
    SpecDocument,
    StatsSpec,
)

__all__ = [
    "CHECK_MODELS",
    "DataSpec",
    "FairnessGate",
    "Gate",
    "MetricGate",
    "ModelsSpec",
    "Perturbation",
    "PredictionColumns",
    "ScanSpec",
    "SliceBins",
    "SliceWhere",
    "Spec",
    "SpecDocument",
    "StatsSpec",
    "gate_from_arguments",
    "json_schema",
    "load_spec",
    "parse_spec",
    "validate_arguments",
]
