"""Subset of frappe/utils/data.py (v15) with the same semantics."""

from __future__ import annotations

import datetime
import html
import math
import re
import secrets
import string
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M:%S.%f"
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"


def _get_system_timezone() -> str:
    import frappe

    tz = None
    try:
        if getattr(frappe.local, "db", None):
            tz = frappe.db.get_single_value("System Settings", "time_zone")
    except Exception:  # noqa: S110 - no System Settings yet: same fallback as frappe
        tz = None
    return tz or "Asia/Kolkata"


def get_system_timezone() -> str:
    """frappe: read from the database in tests, else from the cache key ``time_zone`` (dropped when System
    Settings is saved), so a request or job does not query it."""
    import frappe

    if frappe.local.flags.in_test or not getattr(frappe.local, "db", None):
        return _get_system_timezone()
    return frappe.cache().get_value("time_zone", _get_system_timezone)


def convert_utc_to_system_timezone(utc_timestamp: datetime.datetime) -> datetime.datetime:
    if utc_timestamp.tzinfo is None:
        utc_timestamp = utc_timestamp.replace(tzinfo=datetime.timezone.utc)
    return utc_timestamp.astimezone(ZoneInfo(get_system_timezone()))


def now_datetime() -> datetime.datetime:
    """Naive datetime in the System Settings time zone (frappe.utils.now_datetime)."""
    return convert_utc_to_system_timezone(datetime.datetime.now(datetime.timezone.utc)).replace(tzinfo=None)


def now() -> str:
    return now_datetime().strftime(DATETIME_FORMAT)


def nowdate() -> str:
    return now_datetime().strftime(DATE_FORMAT)


def today() -> str:
    return nowdate()


def nowtime() -> str:
    return now_datetime().strftime(TIME_FORMAT)


def getdate(string_date=None, parse_day_first: bool = False):
    if not string_date:
        return get_datetime().date()
    if isinstance(string_date, datetime.datetime):
        return string_date.date()
    if isinstance(string_date, datetime.date):
        return string_date
    if is_invalid_date_string(string_date):
        return None
    try:
        return date_parser.parse(string_date, dayfirst=parse_day_first).date()
    except (ValueError, OverflowError):
        import frappe

        frappe.throw(
            frappe._("{0} is not a valid date string.").format(frappe.bold(string_date)), title=frappe._("Invalid Date")
        )


def get_datetime(datetime_str=None):
    if datetime_str is None:
        return now_datetime()
    if isinstance(datetime_str, datetime.datetime):
        return datetime_str
    if isinstance(datetime_str, datetime.date):
        return datetime.datetime.combine(datetime_str, datetime.time())
    if isinstance(datetime_str, (list, tuple)):
        return datetime.datetime(*datetime_str)
    if is_invalid_date_string(datetime_str):
        return None
    try:
        return datetime.datetime.strptime(datetime_str, DATETIME_FORMAT)
    except ValueError:
        try:
            return date_parser.parse(datetime_str)
        except (ValueError, OverflowError):
            return None


def get_timedelta(time=None):
    if isinstance(time, datetime.timedelta):
        return time
    if isinstance(time, datetime.time):
        return datetime.timedelta(hours=time.hour, minutes=time.minute, seconds=time.second, microseconds=time.microsecond)
    if not time:
        return None
    try:
        parsed = date_parser.parse(str(time))
    except (ValueError, OverflowError):
        return None
    return datetime.timedelta(
        hours=parsed.hour, minutes=parsed.minute, seconds=parsed.second, microseconds=parsed.microsecond
    )


def is_invalid_date_string(date_string) -> bool:
    return (not date_string) or (date_string or "").startswith(("0001-01-01", "0000-00-00"))


def get_datetime_str(datetime_obj) -> str:
    if isinstance(datetime_obj, str):
        datetime_obj = get_datetime(datetime_obj)
    return datetime_obj.strftime(DATETIME_FORMAT)


def get_date_str(date_obj) -> str:
    if isinstance(date_obj, str):
        date_obj = get_datetime(date_obj)
    return date_obj.strftime(DATE_FORMAT)


def add_to_date(date, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0, as_string=False, as_datetime=False):
    if date is None:
        date = now_datetime()
    if hours:
        as_datetime = True
    if isinstance(date, str):
        as_string = True
        if " " in date:
            as_datetime = True
        try:
            date = date_parser.parse(date)
        except (ValueError, OverflowError):
            date = get_datetime(date)
    date = date + relativedelta(years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if as_string:
        return get_datetime_str(date) if as_datetime else date.strftime(DATE_FORMAT)
    return date


def add_days(date, days):
    return add_to_date(date, days=days)


def add_months(date, months):
    return add_to_date(date, months=months)


def add_years(date, years):
    return add_to_date(date, years=years)


def date_diff(string_ed_date, string_st_date) -> int:
    return (getdate(string_ed_date) - getdate(string_st_date)).days


def time_diff(string_ed_date, string_st_date):
    return get_datetime(string_ed_date) - get_datetime(string_st_date)


def time_diff_in_seconds(string_ed_date, string_st_date) -> float:
    return time_diff(string_ed_date, string_st_date).total_seconds()


def time_diff_in_hours(string_ed_date, string_st_date) -> float:
    return round(float(time_diff(string_ed_date, string_st_date).total_seconds()) / 3600, 6)


def cint(s, default: int = 0) -> int:
    try:
        return int(s)
    except Exception:
        try:
            return int(float(s))
        except Exception:
            return default


def cstr(s, encoding: str = "utf-8") -> str:
    if isinstance(s, str):
        return s
    if s is None:
        return ""
    if isinstance(s, bytes):
        return str(s, encoding)
    return str(s)


def flt(s, precision: int | None = None, rounding_method: str | None = None) -> float:
    if isinstance(s, str):
        s = s.replace(",", "")
    try:
        num = float(s)
        if precision is not None:
            num = rounded(num, precision, rounding_method)
    except Exception:
        num = 0.0
    return num


def rounded(num, precision: int = 0, rounding_method: str | None = None):
    """frappe.utils.rounded: 'Banker's Rounding (legacy)' by default in v15 System Settings."""
    precision = cint(precision)
    rounding_method = rounding_method or "Banker's Rounding (legacy)"
    if rounding_method == "Banker's Rounding (legacy)":
        multiplier = 10**precision
        num = round(num * multiplier if precision else num, 8)
        floor_num = math.floor(num)
        decimal_part = num - floor_num
        if not precision and decimal_part == 0.5:
            num = floor_num if (floor_num % 2 == 0) else floor_num + 1
        elif decimal_part == 0.5:
            num = floor_num + 1
        else:
            num = round(num)
        return (num / multiplier) if precision else num
    quant = Decimal(1).scaleb(-precision)
    mode = ROUND_HALF_EVEN if rounding_method == "Banker's Rounding" else ROUND_HALF_UP
    return float(Decimal(str(num)).quantize(quant, rounding=mode))


def cast(fieldtype, value=None):
    if fieldtype in ("Currency", "Float", "Percent"):
        return flt(value)
    if fieldtype in ("Int", "Check"):
        return cint(value)
    if fieldtype == "Date":
        return getdate(value) if value else None
    if fieldtype == "Datetime":
        return get_datetime(value) if value else None
    if fieldtype == "Time":
        return get_timedelta(value)
    return value


cast_fieldtype = cast


def random_string(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_hash(txt: str | None = None, length: int = 56) -> str:
    return secrets.token_hex((length + 1) // 2)[:length]


def escape_html(text):
    if not isinstance(text, str):
        return text
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def strip_html(text: str) -> str:
    return re.sub(r"<[^>]*>", "", cstr(text))


_DANGEROUS_ELEMENTS = re.compile(r"<(script|style|iframe|object|embed|svg|math)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_DANGEROUS_OPEN_TAGS = re.compile(r"</?(script|style|iframe|object|embed|svg|math|link|meta|base|form)\b[^>]*>", re.I)
_EVENT_ATTRS = re.compile(r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_JS_URLS = re.compile(r"(href|src)\s*=\s*([\"']?)\s*javascript:[^\"'>\s]*\2", re.I)


def is_json(text) -> bool:
    import json

    try:
        json.loads(text)
    except Exception:
        return False
    return True


def sanitize_html(html_text, linkify: bool = False):
    """Approximation of frappe.utils.html_utils.sanitize_html (nh3 allow-list) for the stand-in.

    Like frappe: non-strings, JSON strings and strings without tags are returned unchanged; otherwise
    dangerous elements, event-handler attributes and javascript: URLs are removed.
    """
    if not isinstance(html_text, str) or is_json(html_text):
        return html_text
    if not re.search(r"<[a-zA-Z/!]", html_text):
        return html_text
    cleaned = _DANGEROUS_ELEMENTS.sub("", html_text)
    cleaned = _DANGEROUS_OPEN_TAGS.sub("", cleaned)
    cleaned = _EVENT_ATTRS.sub("", cleaned)
    return _JS_URLS.sub("", cleaned)


def get_url(uri: str | None = None, full_address: bool = False) -> str:
    import frappe

    if uri and (uri.startswith("http://") or uri.startswith("https://")):
        return uri
    conf = frappe.conf or {}
    host_name = conf.get("host_name") or conf.get("hostname")
    if not host_name:
        request = getattr(frappe.local, "request", None)
        if request is not None and getattr(request, "host_url", None):
            host_name = request.host_url.rstrip("/")
        else:
            protocol = "https://" if conf.get("ssl_certificate") else "http://"
            host_name = protocol + (getattr(frappe.local, "site", None) or "localhost")
            production = conf.get("restart_supervisor_on_update") or conf.get("restart_systemd_on_update")
            port = conf.get("http_port") or conf.get("webserver_port")
            if not production and port:
                host_name = f"{host_name}:{port}"
    if not (host_name.startswith("http://") or host_name.startswith("https://")):
        host_name = "http://" + host_name
    if uri:
        return host_name.rstrip("/") + "/" + uri.lstrip("/")
    return host_name


def get_link_to_form(doctype: str, name: str, label: str | None = None) -> str:
    return f'<a href="/app/{doctype.lower().replace(" ", "-")}/{name}">{label or name}</a>'


def comma_and(some_list, add_quotes=True) -> str:
    items = [f"'{x}'" if add_quotes else str(x) for x in some_list]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def money_in_words(number, main_currency=None, fraction_currency=None) -> str:
    return f"{main_currency or ''} {number}".strip()


def fmt_money(amount, precision=None, currency=None, format=None) -> str:  # noqa: A002 - frappe's signature
    value = f"{flt(amount, precision if precision is not None else 2):,.{precision if precision is not None else 2}f}"
    return f"{currency} {value}" if currency else value


def validate_email_address(email_str, throw: bool = False) -> str:
    import frappe

    email = (email_str or "").strip()
    valid = bool(re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", email))
    if not valid and throw:
        frappe.throw(
            frappe._("{0} is not a valid Email Address").format(email), frappe.InvalidEmailAddressError
        )
    return email if valid else ""


def split_emails(txt) -> list[str]:
    return [e.strip() for e in re.split(r"[,\n;]", cstr(txt)) if e.strip()]


def validate_url(txt, throw: bool = False, valid_schemes=None) -> bool:
    from urllib.parse import urlparse

    import frappe

    url = urlparse(cstr(txt))
    schemes = valid_schemes or ("http", "https", "ftp", "ftps")
    valid = bool(url.netloc) and url.scheme in schemes
    if not valid and throw:
        frappe.throw(frappe._("'{0}' is not a valid URL").format(frappe.bold(txt)))
    return valid


def validate_phone_number(phone_number, throw: bool = False) -> bool:
    import frappe

    if not phone_number:
        return False
    phone_number = phone_number.strip()
    match = re.match(r"([0-9\ \+\_\-\,\.\*\#\(\)]){1,20}$", phone_number)
    if not match and throw:
        frappe.throw(
            frappe._("{0} is not a valid Phone Number").format(phone_number), frappe.InvalidPhoneNumberError
        )
    return bool(match)


def validate_name(name, throw: bool = False) -> bool:
    return bool(name)


def parse_val(v):
    if isinstance(v, (datetime.date, datetime.datetime)):
        return str(v)
    return v


def sbool(x):
    if isinstance(x, str) and x.lower() in ("true", "false"):
        return x.lower() == "true"
    return x


def compare(val1, condition, val2):
    ops = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        "in": lambda a, b: a in b,
        "not in": lambda a, b: a not in b,
        "^": lambda a, b: cstr(a).startswith(cstr(b)),
        "None": lambda a, b: not a,
        "not None": lambda a, b: bool(a),
    }
    return ops[condition](val1, val2)


def to_markdown(text):
    return text


def unique(seq):
    seen = set()
    return [x for x in seq if not (x in seen or seen.add(x))]
