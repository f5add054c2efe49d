"""Level calibration (notebook 02): KPIs -> normalise -> weights -> composite -> thresholds
-> levels.

Every step is a pure function on DataFrames so HR can see (and change) each rule:
which KPIs count and in which direction, how they are put on one scale, how much each
weighs, where the cut lines sit, how sticky a current level is, who is borderline and
why a rep got their score. Bad parameters raise `GradingError` naming the key.

- `kpi`: the graded KPIs per rep for a period; what the data can grade (weights, gates);
- `scale`: normalisation onto 0..1 and the composite score;
- `breaks`: natural breaks, exact 1-D k-means, Gaussian mixture, forced shares, GVF;
- `levels`: thresholds by a named rule, assignment with margin and gates, `grade`;
- `standards`: criteria-based levels from a YAML of level standards (the default rule),
  the data-driven rules as calibration aids, territory potential for the volume KPIs;
- `bootstrap`: stability of each rep's level, weight sensitivity;
- `raters`: rater leniency taken out of review scores;
- `sheets`: `explain_score`, `compare_methods`, the levels table and calibration sheet;
- `calibration`: empirical-Bayes scores, level probabilities, the meeting's agenda and
  its decisions (read, applied, counted by manager and group, fairness re-run);
- `development`: the 9-box (performance x potential), gaps to the next level's standard,
  the training catalogue, development plans and a page per rep.
"""

from ..errors import GradingError
from ..schema import LEVELS
from .bootstrap import DRAWS_PER_WORD, WORDS_PER_RESAMPLE, Stability, stability
from .breaks import (
    exact_kmeans,
    fit_gaussian_mixture,
    gvf,
    levels_of,
    most_likely_intervals,
    natural_breaks,
)
from .calibration import (
    DECISION_COLUMNS,
    MIN_GROUP,
    POOL,
    STAY_STAKE,
    apply_decisions,
    calibration_agenda,
    change_probabilities,
    decision_changes,
    empirical_bayes,
    fairness_on_final,
    level_probabilities,
    monthly_scores,
    read_decisions,
    shrunk_scores,
)
from .development import (
    BOXES,
    GRADES,
    POTENTIAL_COLUMNS,
    SAMPLE_CATALOGUE,
    development_page,
    development_pages,
    development_plan,
    level_gaps,
    load_catalogue,
    load_potential,
    nine_box,
    potential_trend,
    year_before,
)
from .kpi import (
    CUSTOM,
    DIRECTIONS,
    GATE_MISSING,
    MAX_MONTHS,
    PRESETS,
    REVIEW_KPIS,
    VOLUME_KPIS,
    MonthlyParts,
    Period,
    graded_period,
    kpi_arrays,
    kpis,
    monthly_parts,
    preset_weights,
    usable_gates,
    usable_weights,
)
from .levels import (
    FIRST_LEVEL,
    THRESHOLD_METHODS,
    Grading,
    ThresholdMethod,
    Thresholds,
    assign,
    current_levels,
    grade,
    thresholds,
    transition_matrix,
)
from .raters import adjust_raters
from .scale import (
    METHODS,
    Scale,
    check_weights,
    composite,
    composite_arrays,
    effective_weights,
    normalize,
    normalize_arrays,
)
from .sheets import TRAINING, calibration_sheet, compare_methods, explain_score, levels_table
from .standards import (
    AIDS,
    FACTS,
    RULE_LABELS,
    SAMPLE_STANDARDS,
    LevelStandards,
    Standard,
    assign_by_standards,
    calibration_aids,
    load_standards,
    standard_levels,
    standards_thresholds,
    suggest_standards,
    territory_potential,
    usable_standards,
)

__all__ = [
    "GradingError", "LEVELS",
    "DIRECTIONS", "GATE_MISSING", "MAX_MONTHS", "PRESETS", "REVIEW_KPIS", "VOLUME_KPIS",
    "Period", "graded_period", "kpis", "usable_gates", "usable_weights",
    "CUSTOM", "preset_weights",
    "MonthlyParts", "monthly_parts", "kpi_arrays",
    "METHODS", "Scale", "check_weights", "composite", "effective_weights", "normalize",
    "normalize_arrays", "composite_arrays",
    "exact_kmeans", "fit_gaussian_mixture", "gvf", "levels_of", "most_likely_intervals",
    "natural_breaks",
    "FIRST_LEVEL", "THRESHOLD_METHODS", "ThresholdMethod", "Grading", "Thresholds", "assign",
    "current_levels", "grade", "thresholds", "transition_matrix",
    "DRAWS_PER_WORD", "WORDS_PER_RESAMPLE", "Stability", "stability", "adjust_raters",
    "AIDS", "FACTS", "RULE_LABELS", "SAMPLE_STANDARDS",
    "LevelStandards", "Standard", "assign_by_standards",
    "calibration_aids", "load_standards", "standard_levels",
    "standards_thresholds", "suggest_standards",
    "territory_potential", "usable_standards",
    "TRAINING", "calibration_sheet", "compare_methods", "explain_score", "levels_table",
    "DECISION_COLUMNS", "MIN_GROUP", "POOL", "STAY_STAKE", "monthly_scores", "empirical_bayes",
    "shrunk_scores", "level_probabilities", "change_probabilities", "calibration_agenda",
    "read_decisions", "apply_decisions", "decision_changes", "fairness_on_final",
    "BOXES", "GRADES", "POTENTIAL_COLUMNS", "SAMPLE_CATALOGUE", "nine_box", "load_potential",
    "potential_trend", "load_catalogue", "level_gaps", "development_plan",
    "development_page", "development_pages", "year_before",
]
