"""A safe formula over the binary confusion counts, for custom metrics given in the spec (#19).

``"(tp - 0.25 * fp) / n"`` is parsed with :mod:`ast` and compiled into a vectorised numpy function
of the count array ``(..., 2, 2)``. Nothing is ever passed to ``eval``: only numbers, the names
``tp fp tn fn n pos neg``, ``+ - * / **``, parentheses and the functions ``sqrt``, ``log``,
``exp``, ``abs``, ``min``, ``max`` are allowed; anything else (attributes, calls of other names,
subscripts, comparisons, strings, lambdas) is refused with a message naming it. A division by zero
gives ``nan`` (undefined, as the built-in metrics), never an error or ``inf``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

__all__ = ["FORMULA_NAMES", "FormulaError", "compile_formula"]

#: the names a formula may use, and what they are
FORMULA_NAMES = {
    "tp": "true positives",
    "fp": "false positives",
    "tn": "true negatives",
    "fn": "false negatives",
    "n": "rows (tp + fp + tn + fn)",
    "pos": "actual positives (tp + fn)",
    "neg": "actual negatives (tn + fp)",
}
_FUNCTIONS: dict[str, tuple[int, Callable[..., np.ndarray]]] = {
    "sqrt": (1, lambda x: np.where(x >= 0, np.sqrt(np.abs(x)), np.nan)),
    "log": (1, lambda x: np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)),
    "exp": (1, np.exp),
    "abs": (1, np.abs),
    "min": (2, np.minimum),
    "max": (2, np.maximum),
}
MAX_FORMULA_LENGTH = 500

Node = Callable[[dict[str, np.ndarray]], np.ndarray]


class FormulaError(ValueError):
    """A formula that is not allowed; the message names the offending part."""


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = b != 0
    return np.where(ok, a / np.where(ok, b, 1.0), np.nan)


def _pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.power(np.asarray(a, float), np.asarray(b, float))
    return np.where(np.isfinite(out), out, np.nan)


_BINOPS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: _div,
    ast.Pow: _pow,
}
_ALLOWED = "numbers, tp fp tn fn n pos neg, + - * / **, ( ), sqrt log exp abs min max"


def _compile(node: ast.AST, text: str) -> Node:
    def refuse(what: str) -> FormulaError:
        seg = ast.get_source_segment(text, node) or ""
        return FormulaError(f"{what} is not allowed in a formula (at {seg!r}; allowed: {_ALLOWED})")

    if isinstance(node, ast.Expression):
        return _compile(node.body, text)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise refuse(f"the constant {node.value!r}")
        value = float(node.value)
        if not np.isfinite(value):
            raise refuse("a non-finite number")
        return lambda env: np.asarray(value)
    if isinstance(node, ast.Name):
        name = node.id
        if name not in FORMULA_NAMES:
            raise refuse(f"the name {name!r}")
        return lambda env: env[name]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _compile(node.operand, text)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda env: sign * inner(env)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        left, right = _compile(node.left, text), _compile(node.right, text)
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
            raise refuse("this call")
        arity, fn = _FUNCTIONS[node.func.id]
        if len(node.args) != arity:
            raise refuse(f"{node.func.id} with {len(node.args)} argument(s) (takes {arity})")
        args = [_compile(a, text) for a in node.args]
        return lambda env: fn(*(a(env) for a in args))
    raise refuse(type(node).__name__)


def compile_formula(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised function of confusion counts ``(..., 2, 2)`` that ``text`` describes.

    Raises :class:`FormulaError` for anything but the allowed grammar, or a formula that does
    not use the counts at all.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string, e.g. '(tp - 0.25 * fp) / n'")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"a formula has at most {MAX_FORMULA_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not a formula: {exc.msg} (allowed: {_ALLOWED})") from None
    body = _compile(tree, text.strip())
    if not any(isinstance(n, ast.Name) for n in ast.walk(tree)):
        raise FormulaError("a formula must use the counts (tp, fp, tn, fn, n, pos, neg)")

    def from_counts(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        tn, fp, fn, tp = c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]
        env = {
            "tp": tp,
            "fp": fp,
            "tn": tn,
            "fn": fn,
            "n": tp + fp + tn + fn,
            "pos": tp + fn,
            "neg": tn + fp,
        }
        with np.errstate(all="ignore"):
            out = np.asarray(body(env), dtype=float)
        out = np.broadcast_to(out, tp.shape).astype(float)
        return np.where(np.isfinite(out), out, np.nan)

    return from_counts
