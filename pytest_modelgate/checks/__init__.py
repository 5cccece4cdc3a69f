"""Checks: verdicts. ``engine`` runs metric, compare and fairness gates (one function per kind,
shared by the YAML runner and the Python API); ``threshold``, ``slices`` and ``compare`` are the
rules; ``dispatch`` routes ``check:`` gates to ``data``, ``operational`` and ``behaviour``."""
