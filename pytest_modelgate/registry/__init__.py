"""MLflow: models from the registry, the run logged to tracking, the decision written back.

Everything here imports MLflow lazily (the optional extra ``pytest-modelgate[mlflow]``):

- :mod:`.client` — ``models:/name@alias`` and ``models:/name/version`` references, the tracking
  URI (``mlflow.tracking_uri`` or ``MLFLOW_TRACKING_URI``), resolving a reference to one pinned
  model version and loading it (sklearn flavour, else pyfunc);
- :mod:`.tracking` — ``--modelgate-log-mlflow``: estimates and bounds as metrics, verdicts and
  the decision as tags, the reports as artifacts;
- :mod:`.promote` — ``--modelgate-promote``: the alias moved on ``promote`` (``canary`` on
  ``canary``) and the decision written onto the model version; nothing on block or review.
"""

from pytest_modelgate.registry.client import (
    RegistryError,
    RegistryModel,
    is_registry_uri,
)

__all__ = ["RegistryError", "RegistryModel", "is_registry_uri"]
