"""Development plans by level: the 9-box, manager potential over the data proxy, gaps to
the next level's standard (against a brute-force reading of the standards), the training
catalogue, the plan and the per-rep pages, on the sample and on a bare data shape.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import shapes
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data import DataError, load
from helpers.formatting import fmt
from helpers.grading import (
    BOXES,
    DIRECTIONS,
    GRADES,
    PRESETS,
    SAMPLE_CATALOGUE,
    SAMPLE_STANDARDS,
    GradingError,
    LevelStandards,
    assign_by_standards,
    current_levels,
    development_page,
    development_pages,
    development_plan,
    grade,
    kpis,
    level_gaps,
    load_catalogue,
    load_potential,
    load_standards,
    nine_box,
    potential_trend,
    usable_weights,
    year_before,
)
from helpers.plots.grading import nine_box_chart
from helpers.schema import LEVELS


@pytest.fixture(scope="module")
def graded(sample):
    """The sample graded as notebook 02 does by default (standards, margin 2)."""
    period = sample.plan_year - 1
    k = kpis(sample, period)
    weights = usable_weights(k, PRESETS["balanced"], sample.lacks())[0].to_dict()
    standards = load_standards(SAMPLE_STANDARDS)
    result = grade(k, weights, current=current_levels(sample)[0], hysteresis=2.0,
                   standards=standards, lacks=sample.lacks())
    before = year_before(sample, period)
    pd.testing.assert_frame_equal(before, kpis(sample, period - 1))
    trend, what = potential_trend(k, before)
    names = sample.roster.set_index("rep_id")["name"]
    return {"k": k, "scores": result.scores, "levels": result.assigned["proposed"],
            "standards": standards, "trend": trend, "what": what, "names": names,
            "lacks": sample.lacks()}


def _all(g, **kw):
    box = nine_box(g["scores"], kw.get("potential"), trend=g["trend"], trend_label=g["what"],
                   names=g["names"])
    gaps = level_gaps(g["k"], g["levels"], g["standards"], scores=g["scores"],
                      lacks=g["lacks"])
    plan = development_plan(gaps, load_catalogue(SAMPLE_CATALOGUE), g["levels"])
    return box, gaps, plan


# -------------------------------------------------------------------------------- 9-box


def test_nine_box_places_every_rep_once_in_score_terciles(graded):
    box = nine_box(graded["scores"], trend=graded["trend"], trend_label=graded["what"])
    n = len(graded["scores"])
    counts = box.groupby(["performance", "potential"], observed=False).size()
    assert counts.sum() == n == len(box) and set(box.index) == set(graded["scores"].index)
    per = box["performance"].value_counts()
    assert per.max() - per.min() <= 1  # no tied scores on the sample: three equal thirds
    # terciles by score: every high scores above every medium, every medium above every low
    s = box["score"]
    assert s[box["performance"] == "low"].max() < s[box["performance"] == "medium"].min()
    assert s[box["performance"] == "medium"].max() < s[box["performance"] == "high"].min()
    assert set(box["box"]) <= {name for name, _ in BOXES.values()}
    assert all(BOXES[(p, q)][0] == b for p, q, b in zip(box["performance"], box["potential"],
                                                         box["box"], strict=True))
    assert "terciles" in box.attrs["note"]


def test_proxy_potential_follows_the_trend_and_says_so(graded):
    box = nine_box(graded["scores"], trend=graded["trend"], trend_label=graded["what"])
    t = graded["trend"].reindex(box.index)
    has = t.notna()
    assert (box.loc[has, "potential_source"] == f"proxy: {graded['what']} in terciles").all()
    order = box.loc[has].assign(t=t[has]).groupby("potential", observed=True)["t"]
    assert order.max()["low"] < order.min()["medium"] <= order.max()["medium"] < \
        order.min()["high"]
    # reps without an earlier year (hired since) are medium, and marked so
    assert (~has).any()
    assert (box.loc[~has, "potential"] == "medium").all()
    assert box.loc[~has, "potential_source"].str.contains("no earlier year").all()
    # without any earlier year (one year of history): medium for everyone, said so
    flat = nine_box(graded["scores"])
    assert (flat["potential"] == "medium").all()
    assert "no earlier year" in flat.attrs["note"]


def test_manager_input_overrides_the_proxy_and_is_marked(graded, tmp_path):
    box = nine_box(graded["scores"], trend=graded["trend"], trend_label=graded["what"])
    reps = box.index[:6]
    opposite = {"low": "high", "medium": "low", "high": "low"}
    given_ = [opposite[str(p)] for p in box.loc[reps, "potential"]]
    written = [{"low": "1", "medium": "2", "high": "3"}[g] if i % 2 else g.upper()
               for i, g in enumerate(given_)]  # numbers and any case are read alike
    path = tmp_path / "potential.csv"
    pd.DataFrame({"rep_id": reps[::-1], "potential": written[::-1],
                  "note": ["ready for more"] * 6}).to_csv(path, index=False)
    rated = load_potential(path, graded["scores"].index)
    out = nine_box(graded["scores"], rated, trend=graded["trend"], trend_label=graded["what"])
    assert list(out.loc[reps, "potential"].astype(str)) == given_
    assert (out.loc[reps, "potential_source"] == "manager").all()
    assert (out.loc[reps, "manager_note"] == "ready for more").all()
    rest = out.index.difference(reps)
    assert out.loc[rest, "potential_source"].str.startswith("proxy: ").all()
    pd.testing.assert_series_equal(out.loc[rest, "potential"], box.loc[rest, "potential"])
    assert "6 rep(s) rated by their manager" in out.attrs["note"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=3, max_size=40), st.randoms())
def test_ties_share_a_tercile_whatever_the_row_order(values, rnd):
    ids = [f"r{i:03d}" for i in range(len(values))]
    scores = pd.Series(np.array(values, dtype=float), index=ids)
    order = list(ids)
    rnd.shuffle(order)
    a = nine_box(scores)
    b = nine_box(scores.loc[order])
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == len(values)
    assert a.groupby("score")["performance"].nunique().max() == 1  # equal scores, one box
    if len(set(values)) == 1:
        assert (a["performance"] == "medium").all()  # all tied: the middle, not the bottom
    code = a["performance"].cat.codes
    assert (np.diff(code.to_numpy()[np.argsort(a["score"].to_numpy(), kind="stable")]) >= 0
            ).all()  # a higher score is never in a lower tercile


# --------------------------------------------------------------------------------- gaps


def _cumulative(raw: dict, target: str) -> dict[str, tuple[float, int]]:
    """requirement -> (bound, sign) reaching `target`, read straight from the YAML mapping."""
    out: dict[str, tuple[float, int]] = {}
    for level in LEVELS[1:LEVELS.index(target) + 1]:
        std = raw[level] or {}
        if std.get("min_score") is not None:
            out["score"] = (max(out.get("score", (-np.inf, 1))[0], std["min_score"]), 1)
        for kpi, bound in (std.get("kpis") or {}).items():
            sign = -1 if kpi == "sales_cycle" else 1
            old = out.get(kpi, (bound, sign))[0]
            out[kpi] = (max(old, bound) if sign > 0 else min(old, bound), sign)
    return out


def _both_directions(k: pd.DataFrame) -> dict:
    raw = yaml.safe_load(SAMPLE_STANDARDS.read_text(encoding="utf-8"))
    cycle = k["sales_cycle"].quantile([0.8, 0.6, 0.4, 0.2]).round(1).to_numpy()
    for level, ceiling in zip(LEVELS[1:], cycle, strict=True):
        raw[level]["kpis"]["sales_cycle"] = float(ceiling)  # "at most", tighter going up
    return raw


@pytest.mark.parametrize("which", ["sample", "with a sales-cycle ceiling"])
def test_gaps_equal_a_brute_force_reading_of_the_standards(graded, which):
    k, scores, levels = graded["k"], graded["scores"], graded["levels"]
    raw = (yaml.safe_load(SAMPLE_STANDARDS.read_text(encoding="utf-8")) if which == "sample"
           else _both_directions(k))
    standards = LevelStandards.from_dict(raw)
    gaps = level_gaps(k, levels, standards, scores=scores)
    assert set(gaps["rep_id"]) == set(levels.index)
    checked = 0
    for rep, level in levels.astype(str).items():
        rows = gaps[gaps["rep_id"] == rep].set_index("requirement")
        if level == LEVELS[-1]:
            assert len(rows) == 1 and "no next level" in rows["status"].iloc[0]
            continue
        target = LEVELS[LEVELS.index(level) + 1]
        want = _cumulative(raw, target)
        assert sorted(rows.index) == sorted(want)  # every requirement, none dropped
        assert (rows["next_level"] == target).all()
        for key, (bound, sign) in want.items():
            value = scores[rep] if key == "score" else k.loc[rep, key]
            row = rows.loc[key]
            assert row["required"] == bound and row["value"] == pytest.approx(value)
            assert row["gap"] == pytest.approx(sign * (bound - value))
            assert bool(row["met"]) == bool(sign * (value - bound) >= -1e-9 * max(1, bound))
            assert row["status"] == ("met" if row["met"] else "not met")
            assert row["rule"] == ("at least" if sign > 0 else "at most")
            checked += 1
    assert checked > 4 * len(levels)
    if which != "sample":
        cycle = gaps[gaps["requirement"] == "sales_cycle"]
        assert cycle["met"].any() and (~cycle["met"]).any()  # both sides of a ceiling


def test_the_level_the_standards_give_leaves_a_gap_to_the_next(graded):
    """The oracle `assign_by_standards`: a rep placed at a level by the standards as written
    misses at least one requirement of the next level, and meets every one of their own."""
    k, scores, standards = graded["k"], graded["scores"], graded["standards"]
    plain = assign_by_standards(k, scores, standards)["proposed"]
    gaps = level_gaps(k, plain, standards, scores=scores)
    below_top = gaps[gaps["next_level"].notna()]
    assert (~below_top.groupby("rep_id")["met"].all()).all()
    assert below_top["rep_id"].nunique() == int((plain != LEVELS[-1]).sum())


SMALL = {  # both directions: floors on CSAT and reviews, a ceiling on the sales cycle
    "intermediate": {"kpis": {"csat": 60}},
    "senior": {"min_score": 50, "kpis": {"csat": 70, "product_knowledge": 3}},
    "principal": {"min_score": 70, "kpis": {"csat": 80, "sales_cycle": 40}},
    "top": {"min_score": 85, "kpis": {"csat": 90, "collaboration": 4, "sales_cycle": 30}},
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(50, 100), st.integers(1, 5), st.integers(20, 50),
                          st.integers(1, 5), st.integers(0, 100)), min_size=1, max_size=25))
def test_gaps_against_the_standards_on_random_reps(rows):
    """Whole-number values sit on the bounds often: met exactly at the bound, both ways."""
    ids = [f"r{i:02d}" for i in range(len(rows))]
    k = pd.DataFrame(rows, index=pd.Index(ids, name="rep_id"), columns=[
        "csat", "product_knowledge", "sales_cycle", "collaboration", "score"], dtype=float)
    standards = LevelStandards.from_dict(SMALL)
    levels = assign_by_standards(k, k["score"], standards)["proposed"]
    gaps = level_gaps(k, levels, standards, scores=k["score"])
    for rep, level in levels.astype(str).items():
        rows_ = gaps[gaps["rep_id"] == rep].set_index("requirement")
        if level == LEVELS[-1]:
            assert rows_["met"].isna().all()
            continue
        want = _cumulative(SMALL, LEVELS[LEVELS.index(level) + 1])
        assert sorted(rows_.index) == sorted(want)
        for key, (bound, sign) in want.items():
            assert bool(rows_.loc[key, "met"]) == (sign * (k.loc[rep, key] - bound) >= 0)
        assert not rows_["met"].all()  # the standards placed the rep below that level


def test_level_gaps_refuse_what_cannot_be_joined(graded):
    k, standards = graded["k"], graded["standards"]
    with pytest.raises(GradingError, match="no KPIs for rep.*NOPE"):
        level_gaps(k, pd.Series({"NOPE": "junior"}), standards)
    with pytest.raises(GradingError, match="'chief', not a level"):
        level_gaps(k, pd.Series({k.index[0]: "chief"}), standards)
    with pytest.raises(GradingError, match="no level for rep"):
        level_gaps(k, pd.Series({k.index[0]: None}), standards)
    # a standard's minimum score without scores: listed, never dropped
    gaps = level_gaps(k, graded["levels"], standards)
    score = gaps[gaps["requirement"] == "score"]
    assert len(score) and score["met"].isna().all()
    assert score["status"].str.startswith("cannot be checked: no composite score").all()


# ------------------------------------------------------------------ catalogue and plan


def test_the_sample_catalogue_has_courses_for_every_level_and_standard_kpi(graded):
    cat = load_catalogue(SAMPLE_CATALOGUE)
    assert cat["course"].is_unique and set(cat["kpi"]) <= set(DIRECTIONS)
    for kpi in graded["standards"].kpis:
        if kpi in DIRECTIONS:
            for level in LEVELS:
                assert any(level in lv for lv in cat.loc[cat["kpi"] == kpi, "levels"]), (
                    kpi, level)
    # courses differ by level: a junior's and a principal's courses for a KPI are not the same
    for kpi in ("attainment", "csat", "collaboration"):
        junior = set(cat.loc[[("junior" in lv) and k == kpi for lv, k in
                              zip(cat["levels"], cat["kpi"], strict=True)], "course"])
        principal = set(cat.loc[[("principal" in lv) and k == kpi for lv, k in
                                 zip(cat["levels"], cat["kpi"], strict=True)], "course"])
        assert junior and principal and not junior & principal


def test_the_plan_lists_only_courses_for_the_reps_level_and_unmet_kpis(graded):
    _, gaps, plan = _all(graded)
    cat = load_catalogue(SAMPLE_CATALOGUE).set_index("course")
    courses = plan[plan["course"].notna()]
    assert len(courses) and courses["rep_id"].nunique() > len(graded["levels"]) / 3
    unmet = set(gaps.loc[gaps["met"].eq(False).fillna(False), ["rep_id", "requirement"]]
                .itertuples(index=False, name=None))
    assert len(unmet) > len(graded["levels"]) / 2
    for _, row in courses.iterrows():
        assert (row["rep_id"], row["requirement"]) in unmet
        assert str(graded["levels"][row["rep_id"]]) in cat.loc[row["course"], "levels"]
        assert cat.loc[row["course"], "kpi"] == row["requirement"]
    per = courses.groupby("rep_id")
    assert per.size().max() <= 3
    assert (per["priority"].apply(lambda p: list(p) == list(range(1, len(p) + 1)))).all()
    # the first course closes the largest relative gap the catalogue has a course for
    first = courses[courses["priority"] == 1].set_index("rep_id")
    trainable = gaps[gaps["met"].eq(False).fillna(False) & gaps["requirement"].isin(
        set(cat["kpi"]))]
    for rep, row in first.iterrows():
        mine = trainable[trainable["rep_id"] == rep]
        mine = mine[[any(str(graded["levels"][rep]) in lv for lv in
                         cat.loc[cat["kpi"] == q, "levels"]) for q in mine["requirement"]]]
        assert row["relative_gap"] == pytest.approx(mine["relative_gap"].max())
    # unmet requirements no course closes are listed with why, never dropped
    bare = plan[plan["course"].isna()]
    assert (bare["note"].str.len() > 0).all()
    assert bare["requirement"].eq("tenure_years").any()
    assert development_plan(gaps, load_catalogue(SAMPLE_CATALOGUE), per_rep=1).groupby(
        "rep_id")["priority"].max().max() == 1
    with pytest.raises(GradingError, match="per_rep=0"):
        development_plan(gaps, load_catalogue(SAMPLE_CATALOGUE), per_rep=0)


# -------------------------------------------------------------------------------- pages


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += len(attrs)


SIMPLE = {"section", "h1", "h2", "h3", "p", "table", "tr", "th", "td", "ul", "li", "b", "i",
          "br", "hr"}


def test_a_page_per_rep_with_the_numbers_of_the_gap_table(graded):
    box, gaps, plan = _all(graded)
    pages = development_pages(box, gaps, plan)
    assert list(pages) == sorted(graded["levels"].index)
    for rep, (title, page) in pages.items():
        assert rep in title and graded["names"][rep] in title
        parser = _Tags()
        parser.feed(page)
        assert parser.tags <= SIMPLE and parser.attrs == 0  # what fpdf2's write_html reads
        assert html.escape(str(box.loc[rep, "box"])) in page
        # no empty field: the sample has every KPI, so every value is known
        assert "<td></td>" not in page and "not known" not in page and "n/a" not in page
        assert " nan" not in page.lower() and ">nan" not in page.lower()
    rep = gaps.loc[gaps["requirement"] == "attainment", "rep_id"].iloc[0]
    row = gaps[(gaps["rep_id"] == rep) & (gaps["requirement"] == "attainment")].iloc[0]
    page = development_page(rep, box, gaps, plan)
    assert page == pages[rep][1]
    assert f"<td>{fmt(row['value'], 'percent')}</td>" in page
    assert f"at least {fmt(row['required'], 'percent')}" in page
    for course in plan.loc[(plan["rep_id"] == rep) & plan["course"].notna(), "course"]:
        assert f"<b>{html.escape(course)}</b>" in page
    top = graded["levels"][graded["levels"] == LEVELS[-1]].index[0]
    assert "there is no next level" in pages[top][1]
    with pytest.raises(GradingError, match="NOPE"):
        development_page("NOPE", box, gaps, plan)


def test_values_from_data_are_escaped(graded):
    box, gaps, plan = _all(graded)
    rep = box.index[0]
    names = graded["names"].copy()
    names[rep] = "<script>alert(1)</script> & Co"
    page = development_page(rep, box, gaps, plan, names=names)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; Co" in page


def test_shuffled_rows_and_relabelled_ids_give_the_same_pages(graded, sample):
    box, gaps, plan = _all(graded)
    pages = development_pages(box, gaps, plan)
    rng = np.random.default_rng(5)
    ids = graded["k"].index
    new = dict(zip(ids, [f"X{n:04d}" for n in rng.permutation(len(ids)) * 7 + 11],
                   strict=True))

    def relabel(obj):
        obj = obj.rename(index=new)
        return obj.iloc[rng.permutation(len(obj))]

    g2 = {**graded, "k": relabel(graded["k"]), "scores": relabel(graded["scores"]),
          "levels": relabel(graded["levels"]), "trend": relabel(graded["trend"]),
          "names": relabel(graded["names"].reindex(ids))}
    box2, gaps2, plan2 = _all(g2)
    pages2 = development_pages(box2, gaps2, plan2)
    assert set(pages2) == {new[r] for r in pages}
    for rep, (title, page) in pages.items():
        assert pages2[new[rep]] == (title.replace(rep, new[rep]), page.replace(rep, new[rep]))


def test_a_shape_without_csat_and_reviews_gives_a_page_per_rep(tmp_path):
    ds = load(shapes.make(tmp_path / "data", *shapes.COMBINED["minimal"]))
    period = ds.last_year
    k = kpis(ds, period)
    weights = usable_weights(k, PRESETS["balanced"], ds.lacks())[0].to_dict()
    standards = load_standards(SAMPLE_STANDARDS)
    result = grade(k, weights, standards=standards, lacks=ds.lacks())
    levels = result.assigned["proposed"]
    with pytest.raises(GradingError):
        kpis(ds, period - 1)  # one year of history: no earlier year
    assert year_before(ds, period) is None
    with pytest.raises(GradingError, match="period='2026Q3'.*whole years"):
        year_before(ds, "2026Q3")
    trend, what = potential_trend(k, year_before(ds, period))
    assert trend is None
    box = nine_box(result.scores, trend=trend, trend_label=what)
    assert (box["potential"] == "medium").all()
    gaps = level_gaps(k, levels, standards, scores=result.scores, lacks=ds.lacks())
    plan = development_plan(gaps, load_catalogue(SAMPLE_CATALOGUE), levels)
    pages = development_pages(box, gaps, plan)
    assert len(pages) == len(k) == len(levels)
    below_top = set(levels[levels != LEVELS[-1]].index)
    csat = gaps[gaps["requirement"] == "csat"]
    assert set(csat["rep_id"]) == below_top  # listed for every rep with a next level
    assert (csat["status"] == "cannot be checked: no CSAT in the data").all()
    attainment = gaps[gaps["requirement"] == "attainment"]
    assert attainment["status"].str.startswith("cannot be checked: no quota").all()
    review = gaps[gaps["requirement"] == "product_knowledge"]
    assert (review["status"] == "cannot be checked: no manager reviews in the data").all()
    for rep in below_top:
        assert "cannot be checked: no CSAT in the data" in pages[rep][1]
    assert any("CSAT" in n for n in gaps.attrs["notes"])
    assert not plan["requirement"].isin(["csat", "product_knowledge"]).any()


# ------------------------------------------------------------------------------ loaders


def _catalogue(tmp_path, courses) -> str:
    path = tmp_path / "training.yaml"
    path.write_text(yaml.safe_dump({"courses": courses}), encoding="utf-8")
    return path


GOOD = {"course": "A", "levels": ["junior"], "kpi": "csat", "hours": 4}


@pytest.mark.parametrize("bad, message", [
    ({**GOOD, "course": "C", "kpi": "cust"},
     "training.yaml: courses[2].kpi: unknown KPI 'cust'"),
    ({**GOOD, "course": "C", "levels": ["junior", "chief"]},
     "training.yaml: courses[2].levels[1]: unknown level 'chief'"),
    ({**GOOD, "course": "C", "hours": 0}, "training.yaml: courses[2].hours: must be more"),
    ({**GOOD, "course": "C", "hours": "many"}, "training.yaml: courses[2].hours"),
    ({**GOOD, "course": "A"}, "courses[2].course: 'A' is listed twice (first at courses[0])"),
    ({"course": "C", "level": ["junior"], "kpi": "csat", "hours": 4},
     "courses[2].levels: is required"),
    ({**GOOD, "course": "C", "cost": 5}, "courses[2].cost: unknown key"),
])
def test_catalogue_errors_name_the_file_and_key_path(tmp_path, bad, message):
    other = {**GOOD, "course": "B", "levels": ["senior", "top"], "kpi": "attainment"}
    with pytest.raises(DataError, match=re.escape(message)):
        load_catalogue(_catalogue(tmp_path, [GOOD, other, bad]))
    ok = load_catalogue(_catalogue(tmp_path, [GOOD, other]))
    assert list(ok["course"]) == ["A", "B"] and ok.loc[1, "levels"] == ("senior", "top")


def test_catalogue_file_level_errors_and_the_missing_file(tmp_path):
    path = tmp_path / "training.yaml"
    path.write_text("courses: [a, b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"training.yaml: not valid YAML \(line"):
        load_catalogue(path)
    path.write_text("lessons: []\n", encoding="utf-8")
    with pytest.raises(DataError, match="training.yaml: courses: is required"):
        load_catalogue(path)
    generic = load_catalogue(tmp_path / "none.yaml")
    assert "No none.yaml" in generic.attrs["note"]
    assert set(generic["kpi"]) == set(DIRECTIONS)
    assert all(lv == tuple(LEVELS) for lv in generic["levels"])


@pytest.mark.parametrize("rows, message", [
    ({"rep_id": ["R001", "R002"], "potential": ["high", "great"]},
     r"potential.csv, column potential: line\(s\) 3 have 'great', not a potential"),
    ({"rep_id": ["R001", "R002", "R001"], "potential": ["high", "low", "2"]},
     r"potential.csv, column rep_id: line\(s\) 2, 4 list rep\(s\) R001 more than once"),
    ({"rep_id": ["R001", "ZZZ"], "potential": ["high", "low"]},
     r"potential.csv, column rep_id: line\(s\) 3 name rep\(s\) not graded: ZZZ"),
    ({"rep_id": ["R001"], "rating": ["high"]}, "potential.csv: missing column.s. potential"),
])
def test_potential_errors_name_the_file_column_and_lines(tmp_path, graded, rows, message):
    path = tmp_path / "potential.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        load_potential(path, graded["scores"].index)


def test_a_missing_potential_file_is_the_proxy_said_in_words(tmp_path):
    out = load_potential(tmp_path / "potential.csv")
    assert out.empty and "No potential.csv" in out.attrs["note"]
    blank = tmp_path / "blank.csv"
    pd.DataFrame({"rep_id": ["R001", "R002"], "potential": ["", "3"]}).to_csv(blank,
                                                                            index=False)
    read = load_potential(blank)
    assert list(read.index) == ["R002"] and read.loc["R002", "potential"] == "high"


def test_nine_box_chart_counts_every_rep(graded):
    import matplotlib.pyplot as plt

    box = nine_box(graded["scores"], trend=graded["trend"], names=graded["names"])
    fig = nine_box_chart(box)
    ax = fig.axes[0]
    counts = [int(t.get_text()) for t in ax.texts if t.get_text().isdigit()]
    assert len(counts) == len(GRADES) ** 2 and sum(counts) == len(box)
    best = box["score"].idxmax()
    assert any(graded["names"][best] in t.get_text() for t in ax.texts)
    plt.close(fig)
