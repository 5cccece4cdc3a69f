"""Calling a user's model with a time limit (``models.timeout_s``).

The model runs in this process (it is the user's object, often unpicklable, and the gates need
its answers in memory), so the only way to stop *waiting* for it is to call it in a worker
thread. A thread cannot be killed: a call that never returns keeps its thread until the process
exits.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PredictTimeout", "call_with_timeout"]


class PredictTimeout(Exception):
    """A model call that did not return within ``models.timeout_s``."""


def call_with_timeout(method: Any, X: Any, timeout: float | None) -> Any:
    """``method(X)``, waiting at most ``timeout`` seconds (None: in this thread, no limit).

    The call runs in a daemon worker thread and this thread stops waiting after ``timeout``
    (raising :class:`PredictTimeout`); Python cannot stop a thread, so a call that never returns
    keeps its thread (and a core, if it computes) until the process exits. Whatever the call
    raises — ``SystemExit`` and other ``BaseException`` included — is raised here, in the caller's
    thread, as if it had been called directly. Ctrl-C interrupts the wait.
    """
    if timeout is None:
        return method(X)
    import threading

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = method(X)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="modelgate-predict", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise PredictTimeout
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
