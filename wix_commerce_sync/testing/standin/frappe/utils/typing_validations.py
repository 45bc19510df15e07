"""Lightweight stand-in for frappe/utils/typing_validations.py (pydantic lax-mode coercion of whitelisted args).

Covers the annotations an API layer normally uses: str, int, float, bool, dict, list, Optional/Union, Any.
Anything else passes through unchecked (documented in the stand-in README).
"""

from __future__ import annotations

import inspect
import types
import typing
from functools import wraps

import frappe

_BOOL_TRUE = {"1", "true", "yes", "on", "y", "t"}
_BOOL_FALSE = {"0", "false", "no", "off", "n", "f"}


class _Invalid(Exception):
    pass


def _coerce(annotation, value):
    if annotation is inspect.Parameter.empty or annotation is typing.Any or annotation is object:
        return value
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(arg, value)
            except _Invalid:
                continue
        raise _Invalid
    if origin is not None:
        annotation = origin
    if annotation is type(None):
        if value is None:
            return None
        raise _Invalid
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Invalid
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _BOOL_TRUE | _BOOL_FALSE:
            return value.strip().lower() in _BOOL_TRUE
        raise _Invalid
    if annotation is int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError as exc:
                raise _Invalid from exc
        raise _Invalid
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError as exc:
                raise _Invalid from exc
        raise _Invalid
    if annotation in (dict, list, tuple, set):
        if isinstance(value, annotation):
            return value
        raise _Invalid
    return value


def _require_annotations(func) -> None:
    """v16 ``force_types``: every argument (but self/cls, *args, **kwargs) must carry an annotation."""
    for index, (name, param) in enumerate(inspect.signature(func).parameters.items()):
        if index == 0 and name in ("self", "cls"):
            continue
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if name not in getattr(func, "__annotations__", {}):
            raise frappe.FrappeTypeError(
                f"Argument '{name}' in '{func.__module__}.{func.__qualname__}' is missing type annotation. "
                "All arguments must have type annotations when type checking is enforced."
            )


def transform_parameter_types(func, args, kwargs, force_types: bool = False):
    # Real Frappe reads ``func.__annotations__`` as they are and skips an annotation that is a string or
    # ForwardRef ("if the type is a ForwardRef or str, ignore it", frappe/utils/typing_validations.py, v15):
    # in a module with ``from __future__ import annotations`` nothing is checked or converted, and a request's
    # "10" reaches the function as a string. The stand-in does the same, so code that relies on conversion
    # fails here as it would on a bench.
    from unittest import mock

    if force_types:
        _require_annotations(func)
    signature = inspect.signature(func)
    hints = {name: hint for name, hint in getattr(func, "__annotations__", {}).items()
             if not isinstance(hint, (str, typing.ForwardRef))}  # fmt: skip
    bound = signature.bind_partial(*args, **kwargs)
    for name, value in list(bound.arguments.items()):
        param = signature.parameters[name]
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, inspect.Parameter.empty)
        if annotation is inspect.Parameter.empty:
            continue
        if value is None and param.default is None:
            continue
        if isinstance(value, mock.Mock):  # frappe: "ignore unittest.mock objects"
            continue
        try:
            bound.arguments[name] = _coerce(annotation, value)
        except _Invalid:
            raise frappe.FrappeTypeError(
                f"Argument '{name}' should be of type '{getattr(annotation, '__name__', annotation)}' "
                f"but got '{type(value).__name__}' instead."
            ) from None
    return bound.args, bound.kwargs


def validate_argument_types(func, apply_condition=None, force_types: bool | None = None):
    """v15: checks when ``apply_condition()`` holds. v16 adds ``force_types``, by default the app's
    ``require_type_annotated_api_methods`` hook (frappe v16 utils/typing_validations.py)."""
    app = (getattr(func, "__module__", "") or "").split(".")[0]

    resolved: dict[int, bool] = {}  # per version, resolved once (frappe: "Resolve it only once")

    @wraps(func)
    def wrapper(*args, **kwargs):
        from frappe import standin

        version = standin.frappe_version()
        if version not in resolved:
            resolved[version] = version >= 16 and bool(
                force_types if force_types is not None else
                app in frappe.get_installed_apps() and any(frappe.get_hooks("require_type_annotated_api_methods", app_name=app))
            )  # fmt: skip
        if apply_condition is None or apply_condition():
            args, kwargs = transform_parameter_types(func, args, kwargs, resolved[version])
        return func(*args, **kwargs)

    return wrapper
