"""The sandboxed Jinja environment every DOCX template renders in.

A template may read the data it is given and call the filters the caller registers; nothing else.
Attribute access is an allow-list of plain-data attributes (pydantic fields, dataclass fields, date
parts, loop counters), calls are limited to registered globals, macros and the loop helpers, and the
default globals (``cycler``, ``joiner``, ``namespace``, ``lipsum``, ``dict``) are gone.  Output is
autoescaped so user text such as ``华信&合创<集团>`` cannot break the document XML.

User text is text. A newline in a value becomes a line break (``<w:br/>``) in the same paragraph and
a tab a tab (docxtpl's ``resolve_listing`` does this for every value); ``\r\n``, ``\r``, ``\v``
(Excel's in-cell break) and U+2028/U+2029 count as newlines. ``\a`` and ``\f``, which docxtpl turns
into a new paragraph and a page break, and characters XML cannot hold are dropped from data; a
``RichText`` or ``Listing`` built by code may still use ``\a`` and ``\f``. ``None`` prints as nothing.

The sandbox stops attribute tricks and the cheapest bombs (huge ``range``, string repetition, huge
powers); it does not bound time or memory in general -- run untrusted templates through
:func:`dossier.render.isolation.render_isolated` for that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import operator
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import StrictUndefined
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup
from pydantic import BaseModel

#: largest ``range()`` a template may build
MAX_RANGE = 10_000
#: largest string or list a template may build with ``*``
MAX_REPEAT = 100_000
#: largest integer (in bits) a template may build with ``**``
MAX_POWER_BITS = 4_096

#: Jinja's builtin filters a template may use. Left out: ``attr`` (attribute access by name),
#: ``safe``/``forceescape`` (would let text through as raw XML), ``tojson``/``pprint``/``xmlattr``/
#: ``urlize``/``urlencode`` (web output), ``random`` (documents must be reproducible), ``float``
#: (money is Decimal), ``center``/``indent``/``wordwrap`` (layout belongs to Word).
SAFE_BUILTIN_FILTERS: frozenset[str] = frozenset(
    {
        "abs",
        "batch",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "first",
        "format",
        "groupby",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "select",
        "selectattr",
        "slice",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)

_LOOP_ATTRIBUTES = frozenset(
    {
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
        "cycle",
        "changed",
    }
)
_DATE_ATTRIBUTES = frozenset({"year", "month", "day"})
_DATETIME_ATTRIBUTES = _DATE_ATTRIBUTES | {"hour", "minute", "second", "microsecond"}
_TIME_ATTRIBUTES = frozenset({"hour", "minute", "second", "microsecond"})
_ENUM_ATTRIBUTES = frozenset({"name", "value"})
_NO_ATTRIBUTES: frozenset[str] = frozenset()
_MISSING = object()

# Line separators that mean "new line" in data pasted from Word, Excel or the web.
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\u2028\u2029\x85]")
# Anything clean_text changes: every control character except \t and \n, and the separators above.
_TEXT_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x85\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# Characters XML 1.0 cannot carry, plus \a and \f which docxtpl turns into paragraph and page
# breaks: data must not restructure the document.
_TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Markup objects (RichText, Listing) may use \a and \f on purpose.
_MARKUP_FORBIDDEN = re.compile("[\x00-\x06\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """User text as it will appear: line separators become ``\\n`` (a line break in Word), characters
    XML cannot hold and docxtpl's paragraph/page-break controls are dropped."""
    if not _TEXT_SPECIAL.search(value):  # the common case, and one fast scan
        return value
    return _TEXT_FORBIDDEN.sub("", _LINE_BREAKS.sub("\n", value))


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` value before escaping."""
    if value is None:
        # Optional fields left empty print as nothing, never as "None".
        return ""
    if isinstance(value, Markup):
        return Markup(clean_text(str(value)))
    if isinstance(value, str):
        return clean_text(value)
    if hasattr(type(value), "__html__"):
        # RichText, Listing, InlineImage: their XML is trusted, only invalid characters go.
        return Markup(_MARKUP_FORBIDDEN.sub("", value.__html__()))
    return value


def data_attributes(obj: Any) -> frozenset[str]:
    """Names a template may read as ``obj.name``: data fields only, never methods or internals."""
    if isinstance(obj, BaseModel):
        cls = type(obj)
        return frozenset(cls.model_fields) | frozenset(cls.model_computed_fields)
    if isinstance(obj, LoopContext):
        return _LOOP_ATTRIBUTES
    if isinstance(obj, enum.Enum):
        return _ENUM_ATTRIBUTES
    if isinstance(obj, dt.datetime):
        return _DATETIME_ATTRIBUTES
    if isinstance(obj, dt.date):
        return _DATE_ATTRIBUTES
    if isinstance(obj, dt.time):
        return _TIME_ATTRIBUTES
    if isinstance(obj, tuple) and isinstance(named := getattr(type(obj), "_fields", None), tuple):
        # namedtuples, including the (grouper, list) pairs of the groupby filter
        return frozenset(named)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return frozenset(f.name for f in dataclasses.fields(obj))
    if type(obj) is types.SimpleNamespace:
        return frozenset(vars(obj))
    return _NO_ATTRIBUTES


def _safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() of {len(numbers)} items exceeds the limit of {MAX_RANGE}")
    return numbers


def _checked_multiply(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int) and not isinstance(times, bool):
            if len(seq) * times > MAX_REPEAT:
                raise SecurityError(
                    f"repeating {len(seq)} characters or items {times} times exceeds {MAX_REPEAT}"
                )
    return operator.mul(left, right)


def _checked_power(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if abs(left).bit_length() * right > MAX_POWER_BITS:
            raise SecurityError(f"{left} ** {right} is too large to compute")
    return operator.pow(left, right)


class DocumentSandbox(ImmutableSandboxedEnvironment):
    """Jinja environment for document templates: data in, registered filters, nothing else."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(
        self,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined, finalize=_finalize)
        self.filters = {name: JINJA_FILTERS[name] for name in SAFE_BUILTIN_FILTERS}
        self.filters.update(filters or {})
        self.globals.clear()
        self.globals["range"] = _safe_range
        self.globals.update(globals or {})
        self.binop_table["*"] = _checked_multiply
        self.binop_table["**"] = _checked_power

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return attr in data_attributes(obj)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, Macro | LoopContext | Undefined):
            # calling an Undefined raises its own, more precise error ("'x' is undefined")
            return True
        if isinstance(obj, types.MethodType) and isinstance(obj.__self__, LoopContext):
            return obj.__name__ in _LOOP_ATTRIBUTES
        return any(obj is value for value in self.globals.values())

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not __self.is_safe_callable(__obj):
            raise SecurityError(
                f"a template may only call registered functions; a {type(__obj).__name__!r} object is not one"
                " (模板只能调用已注册的函数)"
            )
        return __context.call(__obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            # ``loan.amount`` on a dict means the key; a dict's methods are never reachable.
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return self._data_attribute(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping) or (
            isinstance(obj, Sequence) and isinstance(argument, int | slice) and not isinstance(obj, bytes)
        ):
            try:
                return obj[argument]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=argument)
        if isinstance(argument, str):
            return self._data_attribute(obj, argument)
        return self.undefined(obj=obj, name=argument)

    def _data_attribute(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):
            # keep the original "'x' is undefined" message rather than blaming the attribute
            return obj._fail_with_undefined_error()
        if attribute in data_attributes(obj):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                return self.undefined(obj=obj, name=attribute)
        if not attribute.startswith("_") and inspect.getattr_static(obj, attribute, _MISSING) is _MISSING:
            # a plain typo (loan.amout): report it as undefined, not as an attack
            return self.undefined(obj=obj, name=attribute)
        return self.unsafe_undefined(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        return self.undefined(
            f"a template may only read data fields; {attribute!r} of a {type(obj).__name__!r} object"
            " is not one (模板只能读取数据字段)",
            name=attribute,
            obj=obj,
            exc=SecurityError,
        )


def make_environment(
    filters: Mapping[str, Callable[..., Any]] | None = None,
    globals: Mapping[str, Any] | None = None,
) -> DocumentSandbox:
    """A fresh sandbox with Jinja's safe builtin filters plus ``filters`` and ``globals``."""
    return DocumentSandbox(filters=filters, globals=globals)
