"""Time plan letters for a sales force of about 1,000 reps (issue 16 §1).

The sample's 120 reps copied 9 times under new ids and managers (1,026 with targets):
`plan_letters` for all of them, then `write_documents` (HTML + PDF per rep and one PDF per
manager) for the first N (PDF drawing is linear in the letters; CPU time is reported
beside wall time because the machine may be shared)::

    PYTHONPATH=. .venv/bin/python tools/time_letters.py 40
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time

import pandas as pd

from helpers import data
from helpers.documents import group_by, write_documents
from helpers.incentives import PLANS_DIR, load_plans, plan_letters
from helpers.targets import plan_targets


def main(n_write: int = 40, copies: int = 9) -> None:
    """Print the times of `plan_letters` (every rep) and `write_documents` (`n_write`)."""
    ds = data.load(data.SAMPLE_DIR)
    monthly = plan_targets(ds).monthly
    plan = load_plans(PLANS_DIR)["Level bonus + contest"]
    rosters, targets = [], []
    for k in range(copies):
        tag = f"C{k}-"
        rosters.append(ds.roster.assign(rep_id=tag + ds.roster["rep_id"],
                                        manager_id=tag + ds.roster["manager_id"]))
        targets.append(monthly.assign(rep_id=tag + monthly["rep_id"]))
    roster = pd.concat(rosters, ignore_index=True)
    t = pd.concat(targets, ignore_index=True)
    wall, cpu = time.perf_counter(), time.process_time()
    docs = plan_letters(plan, roster, t, year=ds.plan_year)
    print(f"plan_letters: {len(docs)} letters in {time.perf_counter() - wall:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU", flush=True)
    keys = sorted(docs)[:n_write]
    some = {k: docs[k] for k in keys}
    groups = group_by(roster, "manager_id", keys=keys)
    folder = tempfile.mkdtemp(prefix="time-letters-")
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        table = write_documents(some, folder, groups=groups)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        shutil.rmtree(folder)
    pages = int(table.loc[table["format"] == "pdf", "pages"].sum())
    print(f"write_documents: {len(some)} letters (HTML + PDF each) and {len(groups)} manager "
          f"PDFs, {pages} PDF pages, in {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({cpu / len(some):.2f} s CPU a letter)", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
