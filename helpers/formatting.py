"""Numbers as a client reads them: money with its currency, percents, counts; one place.

The app's panels and key-figure cards format every number with `fmt`, so no raw float
(2983587.42, 1.200817e+08) reaches the screen and money carries its currency. The currency
is a setting, not a guess: `set_currency("EUR")` for the session, or `$SALES_CURRENCY`
before the app starts (`python -m helpers app --currency EUR`); the default is USD. The
amounts are whatever the data holds: the setting names them, it converts nothing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from numbers import Real

from .errors import WorkbookError


class FormatError(WorkbookError, ValueError):
    """A currency code or number kind the formatter does not know; names it and the choices."""


@dataclass(frozen=True)
class Currency:
    """A currency as amounts are shown: its ISO code and the symbol put before an amount.

    Parameters
    ----------
    code : str
        ISO 4217 code, e.g. "USD".
    symbol : str
        Written before the amount, e.g. "$".
    name : str
        Plain name, for the setting's choices.
    """

    code: str
    symbol: str
    name: str


CURRENCIES = {c.code: c for c in (
    Currency("USD", "$", "US dollar"), Currency("EUR", "€", "euro"),
    Currency("CNY", "¥", "Chinese yuan"), Currency("GBP", "£", "pound sterling"),
    Currency("JPY", "JP¥", "Japanese yen"), Currency("INR", "₹", "Indian rupee"),
    Currency("CHF", "CHF ", "Swiss franc"), Currency("CAD", "CA$", "Canadian dollar"),
    Currency("AUD", "A$", "Australian dollar"), Currency("BRL", "R$", "Brazilian real"))}
KINDS = ("money", "percent", "count", "number", "ratio")
ENV = "SALES_CURRENCY"
_chosen: list[Currency] = []  # the session's setting (set_currency), over $SALES_CURRENCY


def currency(code: str | Currency | None = None) -> Currency:
    """The `Currency` for `code`; None means the current setting (`set_currency`, else
    `$SALES_CURRENCY`, else USD).

    Parameters
    ----------
    code : str or Currency, optional
        An ISO code among `CURRENCIES` (any case), or a Currency (returned as is).

    Returns
    -------
    Currency
        The currency.

    Raises
    ------
    FormatError
        When the code (given, or in `$SALES_CURRENCY`) is not one of `CURRENCIES`.
    """
    if isinstance(code, Currency):
        return code
    if code is None:
        if _chosen:
            return _chosen[-1]
        code, where = os.environ.get(ENV) or "USD", f"${ENV}"
    else:
        where = "currency"
    found = CURRENCIES.get(str(code).strip().upper())
    if found is None:
        raise FormatError(f"{where}: {code!r} is not a known currency code "
                          f"(choices: {', '.join(CURRENCIES)})")
    return found


def set_currency(code: str | Currency | None) -> Currency:
    """Make `code` the currency every later `fmt` call uses (None: back to the default).

    Parameters
    ----------
    code : str or Currency or None
        An ISO code among `CURRENCIES`, a Currency, or None.

    Returns
    -------
    Currency
        The currency now in use.

    Raises
    ------
    FormatError
        When the code is not one of `CURRENCIES` (the setting is left as it was).
    """
    chosen = None if code is None else currency(code)
    _chosen.clear()
    if chosen is not None:
        _chosen.append(chosen)
    return currency()


def _scaled(value: float) -> tuple[float, str]:
    size = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= limit * 0.9995:  # 999,600 is "1.00m", not "1,000k"
            return value / limit, suffix
    return value, ""


def fmt(value: object, kind: str = "number", *, unit: str | Currency | None = None,
        compact: bool = False, signed: bool = False, digits: int | None = None) -> str:
    """`value` as a client reads it: "$2,983,587", "€128.2m", "12.3%", "1,204", "n/a".

    Parameters
    ----------
    value : object
        A number (None or NaN give "n/a"; anything else is shown as text).
    kind : {"money", "percent", "count", "number", "ratio"}, default "number"
        Money in the currency, a fraction as a percent (0.123 -> "12.3%"), a whole count,
        a plain number, or a ratio ("1.25×").
    unit : str or Currency, optional
        The currency of money (default: the setting, `currency()`).
    compact : bool, default False
        Large numbers with k, m, bn ("$4.11m", "$124.6m"), for cards.
    signed : bool, default False
        A sign on every change ("+5.0%", "−$1.2m"), for differences.
    digits : int, optional
        Decimals (default: 0 for money and counts, 1 for percents, 2 for numbers).

    Returns
    -------
    str
        The formatted number; never more than `digits` decimals, never e-notation.

    Raises
    ------
    FormatError
        When `kind` is not one of `KINDS`, or `unit` is not a known currency.
    """
    if kind not in KINDS:
        raise FormatError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if value is None or (isinstance(value, Real) and math.isnan(float(value))):
        return "n/a"
    if not isinstance(value, Real):
        return str(value)
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    sign = "−" if number < 0 else ("+" if signed and number > 0 else "")
    size = abs(number)
    if kind == "percent":
        text = f"{size * 100:,.{1 if digits is None else digits}f}%"
    elif kind == "ratio":
        text = f"{size:,.{2 if digits is None else digits}f}×"
    else:
        places = digits if digits is not None else (2 if kind == "number" else 0)
        suffix = ""
        if compact:
            size, suffix = _scaled(size)
            if suffix and digits is None:  # 4.11m, 41.1m, 124.6m
                places = 2 if size < 10 else 1
        text = f"{size:,.{places}f}{suffix}"
        if kind == "money":
            text = currency(unit).symbol + text
    return sign + text


def person(rep_id: object, name: object = None) -> str:
    """A rep as a document names them: "Kai Olsen (00000-86)", the id alone without a name,
    and the name alone when it already holds the id (a CRM export whose owner name is the id,
    "Alex Jensen (R005)"), so no one reads "Alex Jensen (R005) (Alex Jensen (R005))".

    Parameters
    ----------
    rep_id : object
        The rep's id.
    name : object, optional
        Their name (None, NaN or blank: none).

    Returns
    -------
    str
        The plain text (not escaped).
    """
    rid = str(rep_id).strip()
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    text = text.strip()
    if not text or text == "<NA>":
        return rid
    return text if rid in text else f"{text} ({rid})"
