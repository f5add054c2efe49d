"""Plan letters: one per rep, every field filled, numbers equal to the targets and the engine."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.documents import group_by, write_documents
from helpers.formatting import fmt
from helpers.incentives import (
    PLANS_DIR,
    LetterError,
    Plan,
    PlanError,
    load_plans,
    payout,
    plan_letter,
    plan_letters,
    write_plan_letters,
)
from helpers.targets import plan_targets

YEAR = 2027


class Tables(HTMLParser):
    """The tables of a fragment as lists of rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def tables(fragment: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(fragment)
    return parser.tables


def table_after(fragment: str, heading: str) -> list[list[str]]:
    """The first table after the heading whose text is `heading`."""
    at = fragment.index(f">{heading}</h")
    return tables(fragment[at:])[0]


@pytest.fixture(scope="module")
def plan_year(sample):
    return plan_targets(sample, YEAR)


@pytest.fixture(scope="module")
def plans():
    return load_plans(PLANS_DIR)


@pytest.fixture(scope="module")
def letters(sample, plan_year, plans):
    return {name: plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR)
            for name, plan in plans.items()}


def test_every_rep_with_targets_gets_a_full_letter(sample, plan_year, letters):
    with_targets = set(plan_year.monthly["rep_id"])
    for name, docs in letters.items():
        assert set(docs) == with_targets, name
        skipped = docs.attrs["skipped"]
        assert set(skipped) == set(sample.roster["rep_id"]) - with_targets
        assert all(why == f"no targets for {YEAR}" for why in skipped.values())
        assert f"{len(skipped)} rep(s) got no plan letter" in docs.attrs["note"]
        names = sample.roster.set_index("rep_id")["name"]
        for rep_id, (title, body) in docs.items():
            assert names[rep_id] in title and names[rep_id] in body
            text = unescape(re.sub(r"<[^>]+>", " ", body))
            for bad in ("nan", "None", "NaN", "n/a", "{", "}", "NaT", "_target"):
                assert not re.search(rf"(?<![\w-]){re.escape(bad)}(?![\w-])", text), \
                    (name, rep_id, bad)
            for table in tables(body):
                for row in table:
                    assert all(cell.strip() for cell in row), (name, rep_id, row)
            for section in ("Your pay", "Your targets", "How the plan pays you",
                            "Gates and caps", "Worked examples at your targets", "Draw",
                            "Questions", "Acknowledgement"):
                assert f">{section}</h" in body
            assert "Signature" in body and "Date" in body


def test_with_next_years_levels_leavers_are_not_reps_without_a_level(sample, plan_year):
    """Given notebook 02's levels (leavers are not graded), the roster's leavers are off the
    plan, not "reps with no level"; a graded rep without targets is still named."""
    plan = load_plans(PLANS_DIR)["Current plan"]
    graded = plan_year.monthly["rep_id"].drop_duplicates()
    leaver = sorted(set(sample.roster["rep_id"]) - set(graded))[0]  # graded by mistake
    levels = pd.Series("senior", index=pd.Index(list(graded) + [leaver]))
    docs = plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR, levels=levels)
    assert set(docs) == set(graded)
    assert docs.attrs["skipped"] == {leaver: f"no targets for {YEAR}"}


def test_targets_shown_equal_the_targets_table(plan_year, letters):
    docs = letters["Current plan"]
    monthly = plan_year.monthly
    annual = plan_year.targets.set_index(["rep_id", "measure"])["target"]
    for rep_id in list(docs)[::7]:
        body = docs[rep_id][1]
        quarters, months = table_after(body, "Your targets"), table_after(body, "By month")
        for j, measure in enumerate(("revenue", "new_customers"), start=1):
            own = monthly[(monthly["rep_id"] == rep_id) & (monthly["measure"] == measure)]
            own = own.sort_values("month")["target"].to_numpy()
            def show(x, m=measure):
                return fmt(x, "money", digits=2) if m == "revenue" else fmt(x, "count")
            assert [row[j] for row in months[1:]] == [show(x) for x in own]
            assert [row[j] for row in quarters[1:5]] == [
                show(round(own[3 * q:3 * q + 3].sum(), 2)) for q in range(4)]
            assert quarters[5][0] == "Year"
            assert quarters[5][j] == show(round(own.sum(), 2))
            # the year to the cent: the allocation's annual target is the sum of its months
            assert quarters[5][j] == show(annual[(rep_id, measure)])


def engine_examples(plan: Plan, rep_id: str, level: str, monthly: pd.DataFrame,
                    attainments=(0.8, 1.0, 1.2)) -> dict[float, pd.Series]:
    """What `payout` pays one rep reaching `a` of every monthly target: built by hand."""
    out = {}
    own = monthly[monthly["rep_id"] == rep_id].pivot_table(
        index="month", columns="measure", values="target", aggfunc="sum")
    priced = plan.replace(components=tuple(c for c in plan.components if c.type != "contest"))
    for a in attainments:
        results = pd.DataFrame({"rep_id": rep_id, "month": own.index, "level": level,
                                "team": "own team"})
        for m in ("revenue", "new_customers"):
            results[m] = own[m].to_numpy() * a
            results[f"{m}_target"] = own[m].to_numpy()
        gates = [g.min for c in plan.components for g in c.gates if g.measure == "csat"]
        results["csat"] = max(gates, default=1.0)
        table = payout(priced, results)
        out[a] = table.groupby("component", sort=False)["amount"].sum().round(2)
    return out


@pytest.mark.parametrize("name", ["Current plan", "Tiered commission",
                                  "Level bonus + contest"])
def test_worked_examples_are_the_engines_numbers(sample, plan_year, plans, letters, name):
    plan, docs = plans[name], letters[name]
    levels = sample.roster.set_index("rep_id")["level"].astype(str)
    rng = np.random.default_rng(16)
    picks = list(rng.choice(sorted(docs), size=4, replace=False))
    picks.append(next(r for r in sorted(docs) if levels[r] == "junior"))  # draws are juniors'
    for rep_id in picks:
        expected = engine_examples(plan, rep_id, levels[rep_id], plan_year.monthly)
        rows = {row[0]: row[1:] for row in table_after(docs[rep_id][1],
                                                       "Worked examples at your targets")}
        assert rows["What"] == ["at 80%", "at 100%", "at 120%"]
        for j, a in enumerate((0.8, 1.0, 1.2)):
            paid = expected[a]
            for component, amount in paid.items():
                key = ("Draw (top-up, or recovered if negative)" if component == "draw"
                       else component)
                if component == "draw" and not (
                        np.array([expected[x].get("draw", 0) for x in expected]) != 0).any():
                    assert key not in rows
                    continue
                assert rows[key][j] == fmt(amount, "money", digits=2), (rep_id, key, a)
            assert rows["Total for the year"][j] == fmt(round(paid.sum(), 2), "money",
                                                        digits=2)


def test_the_engine_pays_the_draw_in_a_junior_example(sample, plan_year, plans, letters):
    """The tiered plan's recoverable Q1-Q2 draw shows in a junior's 80% example."""
    levels = sample.roster.set_index("rep_id")["level"].astype(str)
    docs = letters["Tiered commission"]
    juniors = [r for r in docs if levels[r] == "junior"]
    assert juniors
    body = docs[juniors[0]][1]
    assert "recoverable draw of $5,000 a quarter in Q1 and Q2" in unescape(body)
    seniors = [r for r in docs if levels[r] == "senior"]
    assert "Your plan has no draw" in docs[seniors[0]][1]


def test_shuffled_rows_and_relabelled_ids_give_the_same_letters(sample, plan_year, plans):
    plan = plans["Level bonus + contest"]
    base = plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR)
    relabel = {r: f"X{(i * 37) % 1000:03d}" for i, r in enumerate(sample.roster["rep_id"])}
    roster = sample.roster.sample(frac=1, random_state=5)
    roster = roster.assign(rep_id=roster["rep_id"].map(relabel).astype("string"))
    monthly = plan_year.monthly.sample(frac=1, random_state=6)
    monthly = monthly.assign(rep_id=monthly["rep_id"].map(relabel).astype("string"))
    moved = plan_letters(plan, roster, monthly, year=YEAR)
    assert set(moved) == {relabel[r] for r in base}
    for rep_id, doc in base.items():
        assert moved[relabel[rep_id]] == doc


def test_one_letter_is_the_same_as_in_bulk(sample, plan_year, plans, letters):
    rep = sample.roster.iloc[3]
    one = plan_letter(plans["Current plan"], rep, plan_year.monthly, year=YEAR)
    assert one == letters["Current plan"][str(rep["rep_id"])][1]


def test_reps_without_a_level_or_targets_get_a_reason_not_a_letter(sample, plan_year, plans):
    plan = plans["Current plan"]
    roster = sample.roster.assign(level=sample.roster["level"].astype("string"))
    roster.loc[roster["rep_id"] == "R001", "level"] = "trainee"
    roster.loc[roster["rep_id"] == "R002", "level"] = pd.NA
    monthly = plan_year.monthly[plan_year.monthly["rep_id"] != "R003"]
    docs = plan_letters(plan, roster, monthly, year=YEAR)
    skipped = docs.attrs["skipped"]
    assert {"R001", "R002", "R003"} <= set(skipped) and not {"R001", "R002", "R003"} & set(docs)
    assert "trainee" in skipped["R001"] and skipped["R002"] == "no level"
    assert skipped["R003"] == f"no targets for {YEAR}"
    with pytest.raises(LetterError, match="trainee"):
        plan_letter(plan, roster.iloc[0], monthly, year=YEAR)
    # a measure the plan pays on with no target: a reason, not an empty cell
    no_new = plan_year.monthly[plan_year.monthly["measure"] != "new_customers"]
    docs = plan_letters(plan, sample.roster, no_new, year=YEAR)
    assert not docs
    for rep_id in set(no_new["rep_id"]):
        assert docs.attrs["skipped"][rep_id] == f"no {YEAR} target for new customers"
    # a target that is not a number: a reason, not "n/a" in a letter
    broken = plan_year.monthly.copy()
    broken.loc[(broken["rep_id"] == "R001") & (broken["month"].dt.month == 5), "target"] = np.nan
    docs = plan_letters(plan, sample.roster, broken, year=YEAR)
    assert "R001" not in docs and "not a number" in docs.attrs["skipped"]["R001"]
    assert len(docs) == broken["rep_id"].nunique() - 1
    # another year's targets give no letter
    assert not plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR + 1)


def test_levels_alone_and_levels_given_apart(sample, plan_year, plans):
    plan = plans["Current plan"]
    levels = sample.roster.set_index("rep_id")["level"].astype("string")
    docs = plan_letters(plan, levels, plan_year.monthly, year=YEAR)
    rep_id = next(iter(docs))
    assert f"sales plan: {rep_id}</h1>" in docs[rep_id][1]  # named by id without a roster
    promoted = levels.copy()
    promoted[rep_id] = "top"
    again = plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR, levels=promoted)
    assert "level: Top" in again[rep_id][1]
    assert fmt(plan.target_incentive("top"), "money") in again[rep_id][1]
    with pytest.raises(LetterError, match="examples"):
        plan_letters(plan, levels, plan_year.monthly, year=YEAR, examples=())
    with pytest.raises(LetterError, match="month"):
        plan_letters(plan, levels, plan_year.monthly.drop(columns="month"), year=YEAR)


def test_contact_is_read_written_and_shown(plans, sample, plan_year):
    d = plans["Current plan"].to_dict()
    assert "contact" not in d  # the default is not written out
    plan = Plan.from_dict(d | {"contact": "Sales ops <ops@example.com>"})
    assert plan.contact == "Sales ops <ops@example.com>"
    assert Plan.from_dict(yaml.safe_load(plan.to_yaml())) == plan
    docs = plan_letters(plan, sample.roster, plan_year.monthly, year=YEAR)
    body = next(iter(docs.values()))[1]
    assert "Ask Sales ops &lt;ops@example.com&gt; about your plan" in body
    assert "Ask your manager" in plan_letters(plans["Current plan"], sample.roster,
                                              plan_year.monthly, year=YEAR)["R001"][1]
    for bad in ("", ["a"], {"x": 1}):
        with pytest.raises(PlanError, match="^contact"):
            Plan.from_dict(d | {"contact": bad})


def test_letters_run_on_real_data_shapes(tmp_path):
    import shapes

    from helpers.data import load
    from helpers.incentives import adapt_plans, missing_measures

    for combo in ("minimal", "partial"):
        ds = load(shapes.make(tmp_path / combo, *shapes.COMBINED[combo]))
        monthly = plan_targets(ds).monthly
        plans, _ = adapt_plans(load_plans(PLANS_DIR), missing_measures(ds))
        for plan in plans.values():
            docs = plan_letters(plan, ds.roster, monthly, year=ds.plan_year)
            assert len(docs) + len(docs.attrs["skipped"]) == ds.roster["rep_id"].nunique()
            assert docs, (combo, plan.name, docs.attrs["note"])


def test_letters_to_files_by_manager(sample, tmp_path, letters):
    docs = letters["Level bonus + contest"]
    some = {k: docs[k] for k in sorted(docs)[:3]}
    roster = sample.roster
    groups = group_by(roster, "manager_id", keys=list(some))
    table = write_documents(some, tmp_path, groups=groups)
    assert sorted(p.stem for p in tmp_path.glob("*.pdf")) == sorted(some)
    per_rep = table[(table["key"] != "") & (table["format"] == "pdf")].set_index("key")
    for g, keys in groups.items():
        row = table[(table["key"] == "") & (table["group"] == g)]
        assert row["pages"].item() == per_rep.loc[keys, "pages"].sum()


def test_a_score_with_a_target_stays_at_it_in_the_examples(sample, plan_year, plans, letters):
    """CSAT read only by a gate is not 'attained' at 80%: it sits at its target (as in
    payout_curve), so the 80% example still passes a gate the target passes."""
    plan = plans["Tiered commission"]
    csat = (plan_year.monthly[plan_year.monthly["measure"] == "revenue"]
            .assign(measure="csat", target=80.0))
    docs = plan_letters(plan, sample.roster, pd.concat([plan_year.monthly, csat]), year=YEAR)
    rep_id = sorted(docs)[0]
    body = docs[rep_id][1]
    assert "with CSAT at its target" in body
    assert table_after(body, "Your targets")[0] == ["Period", "Revenue", "New customers",
                                                   "CSAT"]
    ex = table_after(body, "Worked examples at your targets")
    before = table_after(letters["Tiered commission"][rep_id][1],
                         "Worked examples at your targets")
    assert ex == before  # 80 and the gate's 70 both pass: the same pay
    assert ex[-1][1] != fmt(0, "money", digits=2)


def test_write_plan_letters_writes_the_force_and_says_who_got_none(sample, plan_year, plans,
                                                                    tmp_path):
    roster = sample.roster.assign(level=sample.roster["level"].astype("string"))
    roster.loc[roster["rep_id"] == "R001", "level"] = "trainee"
    table = write_plan_letters(plans["Current plan"], roster, plan_year.monthly, tmp_path,
                               year=YEAR, formats=("html",))
    written = {p.stem for p in tmp_path.glob("*.html")}
    assert written == set(plan_year.monthly["rep_id"]) - {"R001"}
    assert set(table["key"]) == written
    assert table.set_index("key")["group"].to_dict() == roster.set_index("rep_id")[
        "manager_id"].astype(str).reindex(sorted(written)).to_dict()
    assert "R001 (level 'trainee'" in table.attrs["note"]
    with pytest.raises(LetterError, match="boss"):
        write_plan_letters(plans["Current plan"], roster, plan_year.monthly, tmp_path,
                           year=YEAR, by="boss")


def test_names_from_data_are_escaped(sample, plan_year, plans):
    roster = sample.roster.assign(name=sample.roster["name"].astype("string"),
                                  team=sample.roster["team"].astype("string"))
    roster.loc[roster["rep_id"] == "R001", ["name", "team"]] = ["Zoë <b>Ørsted</b> & co",
                                                               "<script>x</script>"]
    plan = plans["Current plan"].replace(name="Plan <2027> & more")
    body = plan_letters(plan, roster, plan_year.monthly, year=YEAR)["R001"][1]
    assert "Zoë &lt;b&gt;Ørsted&lt;/b&gt; &amp; co" in body
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "Plan &lt;2027&gt; &amp; more" in body
    assert "<b>Ørsted" not in body


def test_a_zero_target_is_said_in_the_letter_and_the_note(sample):
    """A deals export can leave a rep with no new customers to target: the letter says the
    part paid on it cannot pay as set, and the letters' note names the rep."""
    from helpers.incentives import PLANS_DIR, load_inputs, load_plans, plan_letters

    plan = load_plans(PLANS_DIR)["Current plan"]
    targets, levels, _ = load_inputs(sample)
    rep = sorted(targets["rep_id"].unique())[0]
    zeroed = targets.copy()
    zeroed.loc[(zeroed["rep_id"] == rep) & (zeroed["measure"] == "new_customers"), "target"] = 0
    letters = plan_letters(plan, sample.roster, zeroed, year=sample.plan_year, levels=levels)
    assert "target for new customers is 0" in letters[rep][1]
    assert f"cannot pay them: {rep}" in letters.attrs["note"]
    others = plan_letters(plan, sample.roster, targets, year=sample.plan_year, levels=levels)
    assert "is 0" not in others[rep][1] and f"them: {rep}" not in others.attrs["note"]
