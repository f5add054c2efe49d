"""Plain words for the app: one label per key a table or control shows, and one glossary of
the terms that must stay (P90, cost of sales, Gini, ...), shown as a tooltip where they appear.

A client reads "Pay follows performance", not `spearman_pay_perf`; `label` gives the plain
words for a key (a column, a setting) and `term` the HTML of a term with its explanation on
hover. The notebooks keep their own prose; these are for what the panels put on screen.
"""

from __future__ import annotations

from html import escape

GLOSSARY: dict[str, str] = {
    "company target": "Next year's revenue target for the whole company, before it is split "
                      "to regions, teams and reps.",
    "reps' targets": "The reps' targets added up: the company target plus any over-assignment "
                     "(insurance against misses).",
    "over-assign": "How much more the reps' targets add up to than the company target, as "
                   "insurance against misses.",
    "expected at target": "The share of reps expected to reach 100% of their target, from a "
                          "simulation of next year (60-70% is the usual aim).",
    "ramp": "How fast a new hire reaches full productivity; their target is scaled down over "
            "those months.",
    "split by": "What each rep's share of the company target follows: own past results "
                "(history), territory potential, the seat's typical output (capacity), equal "
                "shares, or a blend.",
    "phase to": "Spread each annual target over quarters, months or weeks by the region's "
                "season.",
    "expected cost": "The average total payout over the simulated years.",
    "P90": "A bad year's cost: 9 simulated years in 10 cost less than this.",
    "P99": "A very bad year's cost: 99 simulated years in 100 cost less than this.",
    "P50": "The median cost: half the simulated years cost less.",
    "cost of sales": "What selling costs as a share of expected revenue: base salaries plus "
                     "expected payout, over expected revenue.",
    "CSAT": "Customer satisfaction: the average score customers gave the rep.",
    "variable cost of sales": "Expected payout (without base salaries) over expected revenue.",
    "target incentive": "What a rep at the level earns in incentives at exactly 100% of "
                        "target (TI).",
    "Gini": "Inequality of pay among reps: 0 is everyone paid the same, 1 is one rep paid "
            "everything.",
    "pay follows performance": "How closely the ranking of pay follows the ranking of results "
                               "(rank correlation; 1 is perfectly).",
    "fit": "How well the level lines separate the scores (goodness of variance fit, GVF: 1 is "
           "perfectly, above 0.8 is good).",
    "score scale": "How each result is put on one 0-100 scale before weighting: percentile "
                   "(rank among peers), z-score (distance from the average in spreads), "
                   "min-max or robust.",
    "level rule": "How levels are decided: by the written level standards, or by a "
                  "data-driven aid (natural breaks, k-means clustering, Gaussian mixture, "
                  "forced shares) for the calibration meeting.",
    "margin": "Points a rep may fall below a level's line and keep their current level, so "
              "levels do not flip on noise.",
    "market": "Next year's market against plan: -20% is a downturn, +20% an upturn.",
    "scenarios": "How many years are simulated; more gives steadier numbers and takes longer.",
}
"""Term -> one or two plain sentences; the tooltip where the term appears."""

LABELS: dict[str, str] = {
    "expected_cost": "Expected cost", "p50_cost": "Median cost (P50)",
    "p90_cost": "Bad-year cost (P90)", "p99_cost": "Very bad year (P99)",
    "base_salaries": "Base salaries", "variable_cost_of_sales": "Variable cost of sales",
    "total_cost_of_sales": "Cost of sales", "share_at_threshold": "Reps at threshold",
    "share_at_target": "Reps at target", "share_at_excellence": "Reps at excellence",
    "top_decile_to_median": "Top 10% vs median pay", "gini": "Pay inequality (Gini)",
    "spearman_pay_perf": "Pay follows performance", "last_year": "Last year",
    "target": "Target", "target_same_months": "Target, same months", "growth": "Growth",
    "reps": "Reps", "region": "Region", "company_method": "Company number",
    "csat": "CSAT", "sales_cycle": "Sales cycle (days)",
    "new_customers": "New customers", "zscore": "z-score", "minmax": "min-max",
    "percentile": "percentile", "robust": "robust",
}
"""Key -> plain label; `label` falls back to the key's words."""


def label(key: str) -> str:
    """The plain label of `key`: from `LABELS`, else its words ("marginal_at_100" ->
    "Marginal at 100").

    Parameters
    ----------
    key : str
        A column, setting or metric name.

    Returns
    -------
    str
        The label.
    """
    if key in LABELS:
        return LABELS[key]
    words = str(key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def term(word: str, text: str | None = None) -> str:
    """HTML of `text` (default `word`) with the glossary's explanation of `word` on hover
    (class `wb-term`, dotted underline); plain escaped text when `word` is not in `GLOSSARY`.

    Parameters
    ----------
    word : str
        The glossary term.
    text : str, optional
        What is shown (default: `word`).

    Returns
    -------
    str
        An `<abbr>` element, or the escaped text.
    """
    shown = escape(text if text is not None else word)
    meaning = GLOSSARY.get(word)
    if meaning is None:
        return shown
    return (f"<abbr class='wb-term' title='{escape(meaning, quote=True)}' "
            f"style='text-decoration: underline dotted; cursor: help'>{shown}</abbr>")
