"""MLflow registry references: parse, name the tracking server, resolve to one version, load.

A reference ``models:/name@alias`` is resolved **once per process** to a model version and
pinned: the gates, the lineage and ``--modelgate-promote`` all see that version even if someone
moves the alias while the gates run. MLflow is imported only here, lazily; every failure talking
to it (not installed, server down, unknown model or alias, a model that cannot be loaded) is a
:class:`RegistryError` naming the spec key, the reference and the server — never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pytest_modelgate._format import one_line
from pytest_modelgate.errors import ModelError, reraise_interrupt

__all__ = [
    "ENV_TRACKING_URI",
    "REGISTRY_PREFIX",
    "RegistryError",
    "RegistryModel",
    "alias_problem",
    "forget_resolved",
    "is_registry_uri",
    "load_registry_model",
    "parse_registry_uri",
    "registry_ref_problem",
    "resolve",
    "resolved",
    "shown_uri",
    "tracking_uri",
    "tracking_uri_problem",
]

REGISTRY_PREFIX = "models:/"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
INSTALL_HINT = "pip install 'pytest-modelgate[mlflow]'"
_SCHEMES = (
    "http",
    "https",
    "file",
    "sqlite",
    "postgresql",
    "mysql",
    "mssql",
    "databricks",
    "databricks-uc",
)
_ALIAS = re.compile(r"^[\w\-]+$", re.ASCII)  # MLflow's rule (mlflow.utils.validation), ASCII
_VERSION_LIKE = re.compile(r"^[vV]\d+$")  # MLflow reserves these for versions


class RegistryError(ModelError):
    """MLflow is missing, unreachable, or refused a request (unknown model, alias, version)."""


def is_registry_uri(ref: Any) -> bool:
    """``models:/...``: a model in an MLflow registry (a model file or import ref otherwise)."""
    return isinstance(ref, str) and ref.startswith(REGISTRY_PREFIX)


# --- validation (no MLflow needed) ------------------------------------------------------------


def alias_problem(alias: str) -> str | None:
    """Why ``alias`` is not a registry alias MLflow accepts, or None."""
    if not alias or len(alias) > 255 or not _ALIAS.match(alias):
        return "not an MLflow alias: use 1 to 255 letters, digits, '_' or '-' (e.g. champion)"
    if alias.lower() == "latest" or _VERSION_LIKE.match(alias):
        return "reserved by MLflow ('latest' and v<N> name versions); pick another alias"
    return None


def tracking_uri_problem(uri: str) -> str | None:
    """Why ``uri`` is not a tracking URI this plugin uses, or None."""
    if not uri.strip() or uri != uri.strip() or any(ch.isspace() for ch in uri):
        return "not a URI (it is empty or holds spaces)"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in uri):
        return "not a URI (it holds control characters)"
    scheme = urlsplit(uri).scheme.lower() if "://" in uri else uri.lower()
    if scheme not in _SCHEMES:
        return (
            "not a scheme MLflow tracking uses (allowed: "
            f"{', '.join(s + '://' for s in _SCHEMES[:-2])}, databricks, databricks-uc)"
        )
    if scheme in ("http", "https") and not urlsplit(uri).hostname:
        return "the URI names no host (e.g. http://127.0.0.1:5000)"
    return None


def shown_uri(uri: str) -> str:
    """``uri`` fit for a log: a user name or password in it is replaced by ``***``."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return one_line(uri)
    if parts.username is None and parts.password is None:
        return one_line(uri)
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return one_line(urlunsplit(parts._replace(netloc=netloc)))


@dataclass(frozen=True)
class RegistryRef:
    """``models:/name@alias`` or ``models:/name/version``, parsed."""

    name: str
    alias: str | None
    version: str | None


def registry_ref_problem(ref: str) -> str | None:
    """Why a ``models:/`` reference is not one of the two forms that pin what is gated, or
    None (the spec loader reports it on the key's line)."""
    parsed = _parse(ref)
    return parsed if isinstance(parsed, str) else None


def parse_registry_uri(ref: str, where: str) -> RegistryRef:
    """Split a ``models:/`` reference; anything else (a stage, ``latest``, a bare name) is
    refused with the two forms that pin what is gated."""
    parsed = _parse(ref)
    if isinstance(parsed, str):
        raise RegistryError(f"{where}: {one_line(ref)!r}: {parsed}")
    return parsed


def _parse(ref: str) -> RegistryRef | str:
    body = ref[len(REGISTRY_PREFIX) :]
    forms = "models:/<name>@<alias> (e.g. models:/fraud@champion) or models:/<name>/<version>"
    if "@" in body:
        name, _, alias = body.rpartition("@")
        problem = alias_problem(alias)
        if name and "/" not in name and problem is None:
            return RegistryRef(name, alias, None)
        why = f"the alias is {problem}" if problem else "the model name is missing or holds '/'"
        return f"{why}; the forms are {forms}"
    name, _, version = body.rpartition("/")
    if name and version.isdigit() and version.isascii() and int(version) > 0:
        return RegistryRef(name, None, str(int(version)))
    if name and version:
        why = (
            f"{one_line(version)!r} is not a version number (MLflow stages and 'latest' move "
            "without a trace in the release record; give an alias or a version)"
        )
    else:
        why = "it names no alias or version"
    return f"{why}; the forms are {forms}"


def tracking_uri(configured: str | None, where: str) -> tuple[str, str]:
    """The tracking URI and where it came from: the spec key ``mlflow.tracking_uri`` (already
    validated), else ``MLFLOW_TRACKING_URI``; neither is an error (MLflow's own default, a local
    folder, would silently be an empty registry)."""
    if configured:
        return configured, where
    env = os.environ.get(ENV_TRACKING_URI, "")
    source = f"the environment variable {ENV_TRACKING_URI}"
    if env:
        problem = tracking_uri_problem(env)
        if problem:
            raise RegistryError(f"{source}: {shown_uri(env)!r}: {problem}")
        return env, source
    raise RegistryError(
        f"{where}: no MLflow tracking server is named; set the environment variable "
        f"{ENV_TRACKING_URI} (e.g. http://127.0.0.1:5000; in CI from a secret) or "
        "mlflow.tracking_uri in the gate spec"
    )


# --- talking to MLflow -------------------------------------------------------------------------


def need_mlflow(where: str) -> Any:
    """The ``mlflow`` module, or a RegistryError saying how to install it."""
    try:
        import mlflow
        import mlflow.artifacts
    except BaseException as exc:
        reraise_interrupt(exc)
        found = "is not installed" if isinstance(exc, ImportError) else f"failed ({exc!r})"
        raise RegistryError(
            f"{where}: MLflow is needed, but importing it {found}. Install it with: {INSTALL_HINT}"
        ) from None
    return mlflow


_REACHABLE: set[str] = set()


def check_reachable(uri: str, source: str) -> None:
    """An HTTP(S) server answers at all (any HTTP status counts), within 10 s; MLflow's own
    client would retry a refused connection for minutes."""
    scheme = urlsplit(uri).scheme.lower()
    if scheme not in ("http", "https") or uri in _REACHABLE:
        return
    import urllib.error
    import urllib.request

    try:
        context = None
        if scheme == "https":  # the TLS settings MLflow's own client honours
            import ssl

            if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
                context = ssl._create_unverified_context()
            elif os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH"):
                context = ssl.create_default_context(
                    cafile=os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"]
                )
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=10, context=context):
            pass
    except urllib.error.HTTPError:
        pass  # it answered
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryError(
            f"{source}: cannot reach the MLflow tracking server at {shown_uri(uri)} "
            f"({one_line(reason)}); is it running, and is the URI right?"
        ) from None
    _REACHABLE.add(uri)


@contextlib.contextmanager
def _few_retries() -> Iterator[None]:
    """MLflow retries a failing request 7 times with back-off (minutes); a release gate says
    what is wrong sooner. Its run-URL print is silenced. A value the user set is kept."""
    defaults = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
        # MLflow prints "View run ... at: URL" on stdout; the terminal section says it once
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    }
    added = [k for k in defaults if k not in os.environ]
    for key in added:
        os.environ[key] = defaults[key]
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def mlflow_error_text(exc: BaseException) -> str:
    """MLflow's message in one line: ``RESOURCE_DOES_NOT_EXIST: Registered Model ... not
    found`` (its long retry chatter cut)."""
    code = getattr(exc, "error_code", None)
    message = str(getattr(exc, "message", None) or exc)
    first = one_line(message.strip().splitlines()[0] if message.strip() else type(exc).__name__)
    first = re.sub(r"(\w://)[^/\s@]+@", r"\1***@", first)  # no credentials from a URL in it
    if len(first) > 400:
        first = first[:400] + " …"
    return f"{code}: {first}" if code and not first.startswith(str(code)) else first


@contextlib.contextmanager
def talking_to(uri: str, what: str) -> Iterator[None]:
    """Any failure inside becomes ``<what>: MLflow at <server>: <its message>``."""
    with _few_retries():
        try:
            yield
        except RegistryError:
            raise
        except BaseException as exc:
            reraise_interrupt(exc)
            raise RegistryError(
                f"{what}: MLflow at {shown_uri(uri)}: {mlflow_error_text(exc)}"
            ) from None


def client_for(uri: str, source: str) -> Any:
    """An ``MlflowClient`` for ``uri`` after checking that the server answers."""
    need_mlflow(source)
    check_reachable(uri, source)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


# --- resolving and loading --------------------------------------------------------------------


@dataclass
class RegistryModel:
    """One registry model version, pinned: what was gated, recorded and (maybe) promoted."""

    ref: str  # as written (models:/name@alias)
    name: str
    version: str
    alias: str | None
    run_id: str | None
    source: str | None
    tracking_uri: str
    flavour: str | None = None  # set once loaded: "sklearn" or "python_function"
    unavailable: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def pinned(self) -> str:
        """``models:/name/version``: the gated version, whatever the alias points at later."""
        return f"{REGISTRY_PREFIX}{self.name}/{self.version}"

    def describe(self) -> str:
        """``models:/fraud@champion (version 3)``: how messages name the model."""
        if self.alias is None:
            return self.ref
        return f"{self.ref} (version {self.version})"

    def lineage(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "registry": self.ref,
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "run_id": self.run_id,
            "source": self.source,
            "tracking_uri": shown_uri(self.tracking_uri),
            "flavour": self.flavour,
            "sha256": None,
        }
        if self.unavailable:
            out["unavailable"] = self.unavailable
        return out


_RESOLVED: dict[tuple[str, str], RegistryModel] = {}


def forget_resolved() -> None:
    """Start a new run: ``models:/name@alias`` is looked up again (an alias moved by the last
    run, in the same process, is followed)."""
    _RESOLVED.clear()


def resolved(ref: str) -> RegistryModel | None:
    """The version ``ref`` was resolved to in this process, if it was (no network)."""
    found = [m for (_, r), m in _RESOLVED.items() if r == ref]
    return found[-1] if found else None


def resolve(ref: str, configured: str | None, *, where: str, uri_where: str) -> RegistryModel:
    """Resolve ``ref`` (spec key ``where``) to one model version on the server named by
    ``mlflow.tracking_uri`` (``uri_where``) or ``MLFLOW_TRACKING_URI``; cached per process."""
    parsed = parse_registry_uri(ref, where)
    uri, source = tracking_uri(configured, uri_where)
    key = (uri, ref)
    if key in _RESOLVED:
        return _RESOLVED[key]
    client = client_for(uri, f"{where}: {one_line(ref)} (the server named by {source})")
    what = f"{where}: {one_line(ref)}"
    with talking_to(uri, what):
        try:
            if parsed.alias is not None:
                mv = client.get_model_version_by_alias(parsed.name, parsed.alias)
            else:
                mv = client.get_model_version(parsed.name, parsed.version)
        except Exception as exc:
            raise RegistryError(
                f"{what}: MLflow at {shown_uri(uri)}: {mlflow_error_text(exc)}"
                f"{_registry_hint(client, parsed)}"
            ) from None
    model = RegistryModel(
        ref=ref,
        name=parsed.name,
        version=str(mv.version),
        alias=parsed.alias,
        run_id=mv.run_id or None,
        source=mv.source or None,
        tracking_uri=uri,
        tags=dict(mv.tags or {}),
    )
    _RESOLVED[key] = model
    return model


def _registry_hint(client: Any, parsed: RegistryRef) -> str:
    """What the registry does hold under that name (its aliases), best effort."""
    try:
        registered = client.get_registered_model(parsed.name)
    except Exception:
        return (
            f" (no registered model {one_line(parsed.name)!r} on this server, or it is "
            "not reachable with these credentials)"
        )
    aliases = registered.aliases or {}
    if parsed.alias is not None:
        known = ", ".join(f"@{a} → version {v}" for a, v in sorted(aliases.items())) or "none"
        return f" (aliases of {one_line(parsed.name)!r}: {one_line(known)})"
    return ""


class PyfuncModel:
    """An MLflow model without the sklearn flavour, seen through pyfunc: ``predict()`` only.
    Its signature's input columns, when it has one, are the columns it is given."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        try:
            schema = inner.metadata.get_input_schema()
            names = schema.input_names() if schema is not None and schema.has_input_names() else []
        except Exception:  # no signature: every column but the target's roles
            names = []
        if names:
            import numpy as np

            self.feature_names_in_ = np.asarray([str(n) for n in names], dtype=object)

    def predict(self, X: Any) -> Any:
        import numpy as np

        return np.asarray(self._inner.predict(X))


PYFUNC_UNAVAILABLE = (
    "predict_proba: the model has no sklearn flavour, so MLflow's pyfunc gives predictions "
    "only; gates on scores (roc_auc, average_precision, log_loss, brier, calibration, "
    "models.threshold) cannot run on it"
)


def load_registry_model(
    ref: str, configured: str | None, *, where: str, uri_where: str
) -> tuple[Any, RegistryModel]:
    """The model object of ``ref``'s pinned version: its sklearn flavour when it has one (so
    ``predict_proba`` works), else pyfunc (predictions only; ``unavailable`` says what not)."""
    model = resolve(ref, configured, where=where, uri_where=uri_where)
    mlflow = need_mlflow(where)
    import atexit
    import shutil
    import tempfile

    from mlflow import MlflowClient

    what = f"{where}: {one_line(model.describe())}"
    folder = tempfile.mkdtemp(prefix="modelgate-mlflow-")
    atexit.register(shutil.rmtree, folder, True)  # a pyfunc model may read its files lazily
    with talking_to(model.tracking_uri, what):
        client = MlflowClient(tracking_uri=model.tracking_uri)
        artifact = client.get_model_version_download_uri(model.name, model.version)
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=artifact, tracking_uri=model.tracking_uri, dst_path=folder
        )
    with talking_to(model.tracking_uri, f"{what}: loading the downloaded model"):
        from mlflow.models import Model

        flavours = Model.load(local).flavors
        if "sklearn" in flavours:
            import mlflow.sklearn

            loaded: Any = mlflow.sklearn.load_model(local)
            model.flavour, model.unavailable = "sklearn", None
        elif "python_function" in flavours:
            import mlflow.pyfunc

            loaded = PyfuncModel(mlflow.pyfunc.load_model(local))
            model.flavour, model.unavailable = "python_function", PYFUNC_UNAVAILABLE
        else:
            raise RegistryError(
                f"{what}: the model has neither the sklearn nor the python_function flavour "
                f"(flavours: {', '.join(sorted(flavours)) or 'none'}); log it with "
                "mlflow.sklearn or mlflow.pyfunc"
            )
    return loaded, model
