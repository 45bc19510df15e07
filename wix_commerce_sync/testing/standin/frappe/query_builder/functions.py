"""frappe.query_builder.functions: pypika's SQL functions (Count, Sum, Avg, Max, Min, Coalesce, ...), as in Frappe."""

from pypika.functions import *  # noqa: F403
from pypika.functions import Avg, Coalesce, Count, Max, Min, Sum  # noqa: F401

IfNull = Coalesce  # portable between MariaDB and the stand-in's SQLite
