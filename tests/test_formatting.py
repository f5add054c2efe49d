"""Numbers on screen: `fmt` (money with its currency, percents, counts), the glossary's plain
labels and tooltips, the key-figure cards' change against the baseline, and the panels' HTML,
which must hold no raw float (2983587.42) and no e-notation (1.200817e+08).
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import load_sample
from helpers.formatting import CURRENCIES, FormatError, currency, fmt, set_currency
from helpers.glossary import GLOSSARY, label, term
from helpers.ui.cards import Figure, KeyFigures, cards_html, change_text

RAW = re.compile(r"\d\.\d{3,}|\d[eE][+-]?\d")  # more than 2 decimals, or e-notation


def _number(text: str, symbol: str = "") -> float:
    """Read back what `fmt` wrote (its sign, symbol, separators and suffix)."""
    sign = -1 if text.startswith("−") else 1
    body = text.lstrip("−+").removeprefix(symbol).replace(",", "")
    scale = 1.0
    for suffix, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3), ("%", 0.01)):
        if body.endswith(suffix):
            body, scale = body[: -len(suffix)], size
            break
    return sign * float(body) * scale


@pytest.fixture(autouse=True)
def _default_currency(monkeypatch):
    monkeypatch.delenv("SALES_CURRENCY", raising=False)
    set_currency(None)
    yield
    set_currency(None)


finite = st.floats(min_value=-1e13, max_value=1e13, allow_nan=False)


@given(finite, st.sampled_from(["money", "percent", "count", "number"]), st.booleans())
def test_fmt_never_shows_a_raw_float_and_reads_back_as_the_rounded_value(value, kind, compact):
    text = fmt(value, kind, compact=compact)
    assert not RAW.search(text), text
    places = {"money": 0, "count": 0, "number": 2, "percent": 1}[kind]
    back = _number(text, "$" if kind == "money" else "")
    shown = value * 100 if kind == "percent" else value
    if compact and kind != "percent" and abs(value) >= 999.5:
        assert math.isclose(back, value, rel_tol=0.006), (value, text)  # 3+ figures kept
    else:
        step = 10 ** -places
        assert abs((back * 100 if kind == "percent" else back) - shown) <= step / 2 + 1e-9 * abs(
            shown), (value, text)


@pytest.mark.parametrize("code, symbol", [("USD", "$"), ("EUR", "€"), ("CNY", "¥")])
def test_money_carries_the_currency_set_for_the_session(code, symbol):
    assert set_currency(code.lower()).code == code
    assert fmt(2983587.42, "money") == f"{symbol}2,983,587"
    assert fmt(1.200817e08, "money", compact=True) == f"{symbol}120.1m"
    assert fmt(-4110256, "money", compact=True, signed=True) == f"−{symbol}4.11m"
    assert fmt(5, "money", unit="USD") == "$5"  # an explicit unit wins over the setting


def test_currency_comes_from_the_environment_and_a_bad_code_is_named(monkeypatch):
    monkeypatch.setenv("SALES_CURRENCY", "EUR")
    assert currency() is CURRENCIES["EUR"] and fmt(10, "money") == "€10"
    monkeypatch.setenv("SALES_CURRENCY", "XYZ")
    with pytest.raises(FormatError, match=r"\$SALES_CURRENCY: 'XYZ' .*USD, EUR, CNY"):
        currency()
    with pytest.raises(FormatError, match="currency: 'dollars'"):
        set_currency("dollars")
    with pytest.raises(FormatError, match="kind: 'cash'"):
        fmt(1, "cash")
    monkeypatch.delenv("SALES_CURRENCY")


def test_percent_count_and_missing_values():
    assert fmt(0.0657, "percent") == "6.6%" and fmt(0.05, "percent", signed=True) == "+5.0%"
    assert fmt(1204.4, "count") == "1,204" and fmt(1.25, "ratio") == "1.25×"
    assert fmt(float("nan"), "money") == fmt(None, "percent") == "n/a"
    assert fmt(999_600, "money", compact=True) == "$1.00m"  # never "$1,000k"


def test_glossary_labels_are_plain_and_terms_carry_their_tooltip():
    assert label("spearman_pay_perf") == "Pay follows performance"
    assert label("marginal_at_100") == "Marginal at 100"
    html = term("P90", "Bad-year cost <P90>")
    assert "title='A bad year" in html and "&lt;P90&gt;" in html  # escaped, explained
    assert term("not a term") == "not a term"
    assert all(meaning.endswith(".") for meaning in GLOSSARY.values())


@given(st.floats(1, 1e9), st.floats(-0.5, 0.5))
def test_change_against_the_baseline_is_the_difference(baseline, rate):
    value = baseline * (1 + rate)
    words, way = change_text(value, baseline, "money")
    if words == "same as baseline":
        assert way == "same"
        return
    assert way == ("up" if value > baseline else "down")
    amount, percent = re.match(r"([^ ]+) \(([^)]+)\) vs baseline", words).groups()
    assert math.isclose(_number(amount, "$"), value - baseline,
                        rel_tol=0.006, abs_tol=0.51)
    assert abs(_number(percent) - (value - baseline) / baseline) <= 0.0005 + 1e-12


def test_cards_compare_with_the_first_figures_shown_and_percents_by_points():
    cards = KeyFigures()
    cards.show([Figure("Expected cost", 4_000_000, "money", "expected cost", "down"),
                Figure("Cost of sales", 0.20, "percent")])
    assert cards.value.count("same as baseline") == 2
    cards.show([Figure("Expected cost", 4_400_000, "money", "expected cost", "down"),
                Figure("Cost of sales", 0.212, "percent")])
    assert "+$400.0k (+10.0%) vs baseline" in cards.value
    assert "+1.2 pts vs baseline" in cards.value
    assert "#b3261e" in cards.value  # a cost going up is bad news
    assert "title='The average total payout" in cards.value
    assert "vs baseline" not in cards_html([Figure("New", 1.0)], [])  # nothing to compare


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _texts(widget) -> list[str]:
    """Every HTML and label text under `widget`, tags removed."""
    import ipywidgets as w

    found = []
    if isinstance(widget, w.HTML | w.Label):
        found.append(re.sub(r"<style.*?</style>|<[^>]+>", " ", widget.value, flags=re.S))
    for child in getattr(widget, "children", ()):
        found.extend(_texts(child))
    return found


def test_panels_show_no_raw_float_and_money_in_the_currency(sample):
    from helpers import grading
    from helpers.ui.grading import GradingPanel
    from helpers.ui.targets import TargetsPanel

    set_currency("EUR")
    panels = [TargetsPanel(sample),
              GradingPanel(grading.kpis(sample, sample.last_year))]
    panels[0].growth.value = 0.123
    for panel in panels:
        texts = " ".join(_texts(panel))
        assert not RAW.search(texts), RAW.search(texts)
    assert "€" in " ".join(_texts(panels[0])) and "$" not in " ".join(_texts(panels[0]))
    assert "vs baseline" in panels[0].cards.value


def test_simulation_table_is_plain_words_and_formatted(sample):
    import pandas as pd

    from helpers.ui.incentives import metrics_table, plan_figures

    table = pd.DataFrame({"expected_cost": [4110256.37], "p90_cost": [1.200817e08],
                          "total_cost_of_sales": [0.0303], "spearman_pay_perf": [0.4123456],
                          "share_at_target": [0.5586]}, index=pd.Index(["Tiered"], name="plan"))
    html = metrics_table(table)
    text = re.sub(r"<[^>]+>", " ", html)
    assert not RAW.search(text)
    for words in ("Expected cost", "$4,110,256", "$120,081,700", "3.0%", "0.41",
                  "Pay follows performance", "55.9%"):
        assert words in text, words
    figures = plan_figures(table)
    assert [(f.group, f.label) for f in figures] == [
        ("Tiered", "Expected cost"), ("Tiered", "Cost of sales"),
        ("Tiered", "Bad-year cost (P90)"), ("Tiered", "Reps expected at target")]
    assert [f.better for f in figures] == ["down", "down", "down", None]  # 60-70% is the aim
    other = table.rename(index={"Tiered": "Current"})  # same numbers, another plan: no match
    html = cards_html(figures, plan_figures(other.assign(expected_cost=1.0)))
    assert "vs baseline" not in html and html.count("key-figure-row") == 1


def test_app_refuses_an_unknown_currency_before_starting(capsys, monkeypatch):
    from helpers.cli import main

    monkeypatch.setattr("os.execv", lambda *a: pytest.fail("the server must not start"))
    assert main(["app", "--currency", "dollars"]) == 1
    assert "currency: 'dollars' is not a known currency code" in capsys.readouterr().err


@pytest.mark.parametrize(("rep_id", "name", "shown"), [
    ("R001", "Kai Olsen", "Kai Olsen (R001)"), ("R001", None, "R001"),
    ("R001", float("nan"), "R001"), ("R001", "  ", "R001"),
    ("Alex Jensen (R005)", "Alex Jensen (R005)", "Alex Jensen (R005)"),
    ("00000-86", "Kai Olsen", "Kai Olsen (00000-86)")])
def test_a_person_is_named_once_with_their_id(rep_id, name, shown):
    from helpers.formatting import person

    assert person(rep_id, name) == shown
