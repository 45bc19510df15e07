"""JSON serialisation helper (frappe.utils.response.json_handler)."""

import datetime
import decimal
import uuid
from collections.abc import Iterable


def json_handler(obj):
    from frappe.model.document import BaseDocument

    if isinstance(obj, (datetime.date, datetime.datetime, datetime.time)):
        return str(obj)
    if isinstance(obj, datetime.timedelta):
        return str(obj)
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, BaseDocument):
        return obj.as_dict(no_nulls=True)
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes, dict)):
        return list(obj)
    if callable(getattr(obj, "__json__", None)):
        return obj.__json__()
    raise TypeError(f"Object of type {type(obj)} with value of {obj!r} is not JSON serializable")
