"""The per-patient analysis: :func:`analyse`, the same on one machine and on each partition.

Set-based SQL over the tables of :class:`~tkiresist.cohort.load.LoadedStudy` builds work tables
(``cx_*``, :func:`_stage_sql`); the matching rule of :mod:`tkiresist.knowledge.applies` runs
once per distinct patient context (:func:`_apply_rule`); one query gives the per-patient table
(:data:`PATIENT_COLUMNS`, :func:`_result_sql`). :func:`situations` gives each patient's context
as the rule sees it, to compare with the engine's.

The steps (numbered as in :func:`analyse`); a patient's mechanisms are the ones
:func:`tkiresist.interpret.engine.interpret` names for the same case:

1. **Samples in time.** A sample's day is the START_DATE of its SPECIMEN (or SAMPLE
   ACQUISITION / SEQUENCING) timeline event. A sample whose SAMPLE_TYPE is ``progression``,
   ``progressed``, ``recurrence`` or ``recurred`` is a progression sample.
2. **The therapy it progressed on.** The targeted agents
   (:data:`~tkiresist.io.cbioportal.TARGETED_CLASSES`) of the TREATMENT timeline that started before
   the sample and had not stopped more than ``max_gap_days`` before it; of those, the ones that
   started last form the line in effect, with any other agent of that line (chemotherapy given with
   the TKI; :func:`tkiresist.io.tables.timeline.line_in_effect`, the view shared with the
   timeline loader); its agents joined with ``+`` name the *prior drug*. Per patient, the latest
   such progression sample is the *decision point* (as the engine takes the latest progression).
3. **Baseline and current samples.** Baseline: every sample taken on or before the day the line
   began. Current: every sample taken during the line up to the decision point, pooled, as the
   engine pools every test of the line (three lesions biopsied at progression are one
   decision point).
4. **Status.** Per alteration key (:func:`tkiresist.interpret.serial.alteration_key`: an exon 19
   deletion is one key however written; a fusion is its two genes; a fusion whose partner is
   not known speaks for every fusion of that gene), as the engine's serial comparison:
   *persistent* (detected before and now), *acquired* (detected now; not before, by a baseline
   sample that covered it: its gene panel for that profile lists a gene of the alteration, or
   is whole-genome, or the CNA table has a value there, or an IHC result of the LAB_TEST
   timeline names its marker), *lost* (detected before; covered now
   and absent), *not assessable* (detected now and no baseline sample covered it, or detected
   before and no current sample covered it). A transformation found now that no baseline
   sample was assessed for is acquired against a non-small-cell HISTOLOGY at diagnosis.
   A **cell-free DNA** sample (plasma or CSF: its SAMPLE_TYPE or SPECIMEN_TYPE says so,
   :data:`~tkiresist.cohort.load.LIQUID`, :data:`~tkiresist.cohort.load.CSF`; ``cell_free``)
   covers a key only when it shows tumour DNA (``cx_tumour_dna``, ``cx_reads``): it detected
   another tumour alteration, one of another key that is a sequence variant, fusion or
   copy-number change whose genes are not all clonal-haematopoiesis genes
   (:data:`tkiresist.interpret.serial.CH_GENES`), as the engine's serial comparison reads a
   liquid negative (``_sheds``). Otherwise its silence is uninformative, on the baseline side
   and on the current side alike: an alteration absent from it is never *lost*, and one found
   now is not *acquired* against it (a tumour progressing only in the brain, or shedding
   little, leaves plasma negative; "lost" needs tissue or a draw with tumour DNA). The engine's
   other ground, a stated tumour fraction of at least
   :data:`~tkiresist.interpret.serial.LOW_TUMOUR_FRACTION`, does not exist here: a study
   carries no tumour fraction. CSF is read by this rule as in the engine (which reads plasma
   and CSF alike, **the project's choice**), while for the plasma lead time (step 7) it stays
   another compartment.
5. **Driver.** The original driver is the EGFR sensitising (or exon 20 insertion) alteration
   detected before the line (or, without one, an EGFR-sensitising one there now); its state is
   ``persistent`` (one is there now), ``lost`` (each was covered now and absent), ``unknown``
   or ``none``. A DRIVER_CATEGORY of the patient file stands for a driver not detected (state
   ``unknown``); with none at all, an EGFR-sensitising one is presumed from an EGFR TKI line
   (:meth:`~tkiresist.knowledge.applies.Situation.with_presumed_driver`).
6. **Mechanisms.** Each patient's context (OncoTree code of the earliest untransformed sample;
   present categories; the line's classes, generations, classes given without a named drug,
   drugs, and the classes given so far; the driver's categories and state) is reduced to a
   signature; :func:`tkiresist.knowledge.applies.verdict` runs once per distinct signature and
   resistance-mechanism statement (not risk markers, not fallbacks), and the answers are joined
   back. A statement that applies fires for a present alteration (acquired, persistent or not
   assessable), not the original driver, carrying one of its categories, as in
   :mod:`tkiresist.interpret.mechanisms`. A mechanism is *acquired* when one of its ``any_of``
   triggers was acquired, else *not assessable*, else *persistent*; the *mechanism category* is
   the trigger category matched. The C797X phase is never known here.
7. **Plasma lead time** (#15). A *liquid* sample is one whose SAMPLE_TYPE or SPECIMEN_TYPE
   (clinical sample file or SPECIMEN timeline row) says plasma, cfDNA or ctDNA
   (:data:`~tkiresist.cohort.load.LIQUID`; CSF is another compartment and is left out). For each
   alteration that triggered an acquired or not-assessable mechanism, the first liquid sample of
   the line (after it began, up to the decision point) that detected it is when it *first
   appeared in plasma*. Its *lead time* is measured, in months, to the line's first radiographic
   progression, as the dynamics step measures it (:mod:`tkiresist.interpret.dynamics`, whose rule
   it shares: from the first draw that showed it to the line's first PD): an IMAGING or STATUS
   timeline event that reads as progressive disease
   (:data:`~tkiresist.cohort.load.PROGRESSION_RESULTS`; not one whose CRITERIA says clinical),
   after the line began, up to the decision point and not after the line stopped. Without one,
   it is measured to the decision point's progression sample. ``plasma_lead_anchor`` says which
   (``radiographic_progression`` or ``progression_sample``) and ``radiographic_progression_day``
   gives the day of that progression. A plasma sample after the radiographic progression gives
   a lead time of zero or less: the blood did not show it first. A study gives no tumour
   fraction and cohort reads no VAF, so the VAF thresholds of
   :data:`tkiresist.interpret.dynamics.RULES` (the driver's fall or rise) cannot be applied here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from tkiresist.cohort.cells import PROFILE_HISTOLOGY
from tkiresist.cohort.duck import _arrow, _lit, _register, _to_arrow
from tkiresist.cohort.knowledge_tables import _statements
from tkiresist.io.cbioportal import (
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_SV,
    PROGRESSION_SAMPLE_TYPES,
)
from tkiresist.model.interpretation import PRESENT_STATES  # the engine's present statuses
from tkiresist.model.time import DAYS_PER_MONTH

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from tkiresist.knowledge.applies import Situation


PATIENT_COLUMNS: Final = (
    "patient_id",
    "prior_drug",
    "prior_drug_classes",
    "prior_generations",
    "therapy_start_day",
    "progression_sample",
    "progression_samples",
    "progression_day",
    "months_from_therapy_start",
    "baseline_samples",
    "assessable",
    "driver_state",
    "acquired",
    "n_persistent",
    "n_not_assessable",
    "mechanisms",
    "mechanism_categories",
    "mechanisms_not_assessable",
    "not_assessable_categories",
    "mechanisms_persistent",
    "assumptions",
    "plasma_resistance",
    "plasma_first_days",
    "plasma_lead_months",
    "plasma_lead_time_months",
    "plasma_lead_anchor",
    "radiographic_progression_day",
)


LIST_COLUMNS: Final = frozenset(
    {
        "assumptions",
        "progression_samples",
        "baseline_samples",
        "acquired",
        "mechanisms",
        "mechanism_categories",
        "mechanisms_not_assessable",
        "not_assessable_categories",
        "mechanisms_persistent",
        "plasma_resistance",
        "plasma_first_days",
        "plasma_lead_months",
    }
)


_SEP: Final = "\x1f"  # joins the parts of a context signature (never in ids or drug names)


_WORK_TABLES: Final = (
    "cx_prog",
    "cx_prior",
    "cx_phase",
    "cx_tumour_dna",
    "cx_obs",
    "cx_det",
    "cx_need",
    "cx_reads",
    "cx_covered",
    "cx_status",
    "cx_keycat",
    "cx_orig",
    "cx_ctx",
    "cx_applies",
    "cx_notes",
)


def _stage_sql(max_gap_days: int) -> list[str]:
    """Steps 1-5 and the patients' contexts, as work tables (``cx_*``)."""
    from tkiresist.interpret.serial import CH_GENES
    from tkiresist.io.tables.timeline import line_in_effect, line_key, not_stopped
    from tkiresist.knowledge.applies import DRIVER_CATEGORIES

    progression = ", ".join(_lit(t) for t in sorted(PROGRESSION_SAMPLE_TYPES))
    ch_genes = ", ".join(_lit(g) for g in sorted(CH_GENES))
    tumour_profiles = ", ".join(_lit(p) for p in (PROFILE_MUTATIONS, PROFILE_SV, PROFILE_CNA))
    drivers = ", ".join(_lit(c) for c in DRIVER_CATEGORIES)
    present = ", ".join(_lit(s) for s in PRESENT_STATES)
    gap = int(max_gap_days)
    sep = _lit(_SEP)
    in_effect = line_in_effect(
        "samples",
        "treatments",
        max_gap_days=gap,
        treatment_if="t.targeted",
        sample_if=f"s.sample_type IN ({progression})",
    )
    return [
        # 1-2. progression samples and the targeted line in effect at each (the shared
        # timeline view: the latest start, among equal starts the highest LINE number); the
        # decision point: the patient's latest such sample
        f"""
CREATE OR REPLACE TEMP TABLE cx_prog AS
WITH line_start AS ({in_effect})
SELECT * FROM line_start
QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY day DESC, sample_id DESC) = 1
""",
        # the line's agents, chemotherapy given with the TKI included (FLAURA2)
        f"""
CREATE OR REPLACE TEMP TABLE cx_prior AS
SELECT t.patient_id, t.agent, t.drug_class, t.generation, t.class_only, t.stop_day
FROM cx_prog p JOIN treatments t
  ON t.patient_id = p.patient_id AND {line_key("t")} = p.pick
 AND {not_stopped("t", "p.day", gap)}
""",
        # 3. the samples of the decision point: baseline (on or before the line began) and
        # current (during the line, up to the decision sample: pooled, as the engine pools
        # every test of the line up to the decision point)
        """
CREATE OR REPLACE TEMP TABLE cx_phase AS
SELECT s.patient_id, s.sample_id, s.day, s.day > p.start_day AS now, s.cell_free
FROM samples s JOIN cx_prog p ON p.patient_id = s.patient_id
WHERE s.day IS NOT NULL AND s.day <= p.day
""",
        # a cell-free DNA sample (plasma or CSF) shows tumour DNA by the tumour alterations
        # (sequence variant, fusion, copy-number change; not all genes of clonal
        # haematopoiesis) it detected: how many keys, and one of them, so that "another key
        # than K" is n_keys > 1 OR one_key <> K (the engine's ``_sheds``; no tumour fraction)
        f"""
CREATE OR REPLACE TEMP TABLE cx_tumour_dna AS
SELECT ph.patient_id, ph.sample_id, count(DISTINCT i.key) AS n_keys, any_value(i.key) AS one_key
FROM cx_phase ph
JOIN alterations a ON a.patient_id = ph.patient_id AND a.sample_id = ph.sample_id
JOIN alt_info i ON i.alt_id = a.alt_id
WHERE ph.cell_free AND i.profile IN ({tumour_profiles}) AND EXISTS (
  SELECT 1 FROM alt_gene g WHERE g.alt_id = a.alt_id AND g.gene NOT IN ({ch_genes}))
GROUP BY ph.patient_id, ph.sample_id
""",
        """
CREATE OR REPLACE TEMP TABLE cx_obs AS
SELECT DISTINCT ph.patient_id, ph.now, a.alt_id, i.key
FROM cx_phase ph
JOIN alterations a ON a.patient_id = ph.patient_id AND a.sample_id = ph.sample_id
JOIN alt_info i ON i.alt_id = a.alt_id
""",
        # 4. detected before / now, per key; a fusion whose partner is not known ("ALK
        # fusion") speaks for every fusion of that gene the patient has, and is no key of its
        # own beside them (as in the engine's serial comparison)
        """
CREATE OR REPLACE TEMP TABLE cx_det AS
WITH d0 AS (
  SELECT o.patient_id, o.key, bool_or(NOT o.now) AS before_pos, bool_or(o.now) AS now_pos
  FROM cx_obs o GROUP BY o.patient_id, o.key
  -- a key seen only before the line counts only through its categories (the driver, present
  -- categories): one without any is left out
  HAVING bool_or(o.now) OR bool_or(o.alt_id IN (SELECT alt_id FROM alt_category))
),
fus AS (
  SELECT *, split_part(key, ':', 2) AS gene, ends_with(key, ':*') AS star
  FROM d0 WHERE starts_with(key, 'fusion:')
)
SELECT patient_id, key, before_pos, now_pos FROM d0 WHERE NOT starts_with(key, 'fusion:')
UNION ALL
SELECT f.patient_id, f.key,
       f.before_pos OR coalesce(bool_or(s.before_pos), false),
       f.now_pos OR coalesce(bool_or(s.now_pos), false)
FROM fus f LEFT JOIN fus s
  ON s.patient_id = f.patient_id AND s.gene = f.gene AND s.star
WHERE NOT f.star
GROUP BY f.patient_id, f.key, f.before_pos, f.now_pos
UNION ALL
SELECT f.patient_id, f.key, f.before_pos, f.now_pos FROM fus f
WHERE f.star AND NOT EXISTS (
  SELECT 1 FROM fus o WHERE o.patient_id = f.patient_id AND o.gene = f.gene AND NOT o.star)
""",
        # coverage in the other phase, for a key detected in one only
        """
CREATE OR REPLACE TEMP TABLE cx_need AS
SELECT DISTINCT d.patient_id, d.key, o.alt_id, i.profile, NOT d.now_pos AS in_now
FROM cx_det d
JOIN cx_obs o ON o.patient_id = d.patient_id AND o.key = d.key AND o.now = d.now_pos
JOIN alt_info i ON i.alt_id = o.alt_id
WHERE d.now_pos <> d.before_pos
""",
        # the samples of the other phase whose silence about a key is a negative: a tissue
        # sample, or a cell-free DNA one that shows tumour DNA by another key (else its
        # negative is uninformative: never "lost", nor the baseline of "acquired")
        """
CREATE OR REPLACE TEMP TABLE cx_reads AS
SELECT DISTINCT n.patient_id, n.key, n.alt_id, n.profile, ph.sample_id
FROM cx_need n
JOIN cx_phase ph ON ph.patient_id = n.patient_id AND ph.now = n.in_now
LEFT JOIN cx_tumour_dna t ON t.patient_id = ph.patient_id AND t.sample_id = ph.sample_id
WHERE NOT ph.cell_free OR t.n_keys > 1 OR t.one_key <> n.key
""",
        f"""
CREATE OR REPLACE TEMP TABLE cx_covered AS
SELECT DISTINCT r.patient_id, r.key
FROM cx_reads r
JOIN coverage c ON c.patient_id = r.patient_id AND c.sample_id = r.sample_id
               AND c.profile = r.profile
JOIN alt_gene g ON g.alt_id = r.alt_id
LEFT JOIN panel_genes pg ON pg.panel = c.panel AND pg.gene = g.gene
WHERE c.panel = '*' OR pg.gene IS NOT NULL
UNION
SELECT DISTINCT r.patient_id, r.key
FROM cx_reads r
JOIN alt_gene g ON g.alt_id = r.alt_id
JOIN gene_coverage gc ON gc.patient_id = r.patient_id AND gc.sample_id = r.sample_id
                     AND gc.profile = r.profile AND gc.gene = g.gene
-- a sample's histology rules a transformation in or out, not epithelial-mesenchymal transition
WHERE r.profile <> {_lit(PROFILE_HISTOLOGY)} OR ends_with(r.key, '_transformation')
""",
        """
CREATE OR REPLACE TEMP TABLE cx_status AS
SELECT d.patient_id, d.key, d.before_pos, d.now_pos,
  CASE WHEN d.now_pos AND d.before_pos THEN 'persistent'
       WHEN d.now_pos AND c.key IS NOT NULL THEN 'acquired'
       WHEN d.now_pos AND starts_with(d.key, 'hist:') AND ends_with(d.key, '_transformation')
            AND coalesce(dx.non_small_cell, false) THEN 'acquired'
       WHEN d.now_pos THEN 'not_assessable'
       WHEN c.key IS NOT NULL THEN 'lost'
       ELSE 'not_assessable' END AS status
FROM cx_det d LEFT JOIN cx_covered c ON c.patient_id = d.patient_id AND c.key = d.key
LEFT JOIN diagnoses dx ON dx.patient_id = d.patient_id
""",
        # a key's categories: those of what was detected in the phase that decides (now, else
        # before), or of any phase when only a partner-unknown fusion stood for it there
        """
CREATE OR REPLACE TEMP TABLE cx_keycat AS
WITH o AS (
  SELECT o.patient_id, o.key, o.now, s.now_pos, c.category,
         bool_or(o.now = s.now_pos) OVER (PARTITION BY o.patient_id, o.key) AS has_phase
  FROM cx_obs o
  JOIN cx_status s ON s.patient_id = o.patient_id AND s.key = o.key
  JOIN alt_category c ON c.alt_id = o.alt_id
)
SELECT DISTINCT patient_id, key, category FROM o WHERE now = now_pos OR NOT has_phase
""",
        # 5. the original driver: detected before the line; else an EGFR-sensitising one there
        # now (as :func:`tkiresist.interpret.mechanisms.case_context` finds it)
        f"""
CREATE OR REPLACE TEMP TABLE cx_orig AS
WITH d AS (
  SELECT DISTINCT k.patient_id, k.key, s.before_pos, s.status,
         k.category = 'egfr_sensitising' AS sensitising
  FROM cx_keycat k JOIN cx_status s ON s.patient_id = k.patient_id AND s.key = k.key
  WHERE k.category IN ({drivers})
),
earlier AS (SELECT DISTINCT patient_id, key FROM d WHERE before_pos)
SELECT * FROM earlier
UNION
SELECT patient_id, key FROM d
WHERE sensitising AND status IN ({present})
  AND patient_id NOT IN (SELECT patient_id FROM earlier)
""",
        # the context each patient's statements are matched in: a signature of what the rule
        # of knowledge/applies.py reads (the present categories are those any statement names)
        f"""
CREATE OR REPLACE TEMP TABLE cx_ctx AS
WITH transformed AS (
  SELECT DISTINCT a.sample_id FROM alterations a
  JOIN cx_prog p ON p.patient_id = a.patient_id
  JOIN alt_info i ON i.alt_id = a.alt_id
  WHERE i.profile = {_lit(PROFILE_HISTOLOGY)}
),
code AS (
  SELECT s.patient_id,
         first(s.oncotree ORDER BY t.sample_id IS NOT NULL, s.day NULLS LAST, s.sample_id)
           AS oncotree
  FROM samples s JOIN cx_prog p ON p.patient_id = s.patient_id
  LEFT JOIN transformed t ON t.sample_id = s.sample_id
  WHERE s.oncotree <> '' GROUP BY s.patient_id
),
pres AS (
  SELECT s.patient_id, list_sort(list(DISTINCT k.category)) AS present
  FROM cx_status s
  JOIN cx_keycat k ON k.patient_id = s.patient_id AND k.key = s.key
  SEMI JOIN kb_match m ON m.category = k.category
  WHERE s.status IN ({present})
  GROUP BY s.patient_id
),
line AS (
  SELECT patient_id,
         list_sort(list(DISTINCT drug_class) FILTER (WHERE drug_class IS NOT NULL)) AS classes,
         list_sort(list(DISTINCT generation) FILTER (WHERE generation IS NOT NULL))
           AS generations,
         list_sort(list(DISTINCT drug_class) FILTER (WHERE class_only AND drug_class IS NOT NULL))
           AS unnamed,
         list_sort(list(DISTINCT lower(agent))) AS drugs
  FROM cx_prior GROUP BY patient_id
),
hist AS (
  SELECT p.patient_id, list_sort(list(DISTINCT t.drug_class)) AS history
  FROM cx_prog p JOIN treatments t ON t.patient_id = p.patient_id
  WHERE t.drug_class IS NOT NULL AND {line_key("t")} <= p.pick
  GROUP BY p.patient_id
),
orig_cats AS (
  SELECT o.patient_id, list_sort(list(DISTINCT k.category)) AS cats
  FROM cx_orig o JOIN cx_keycat k ON k.patient_id = o.patient_id AND k.key = o.key
  GROUP BY o.patient_id
),
declared AS (
  SELECT patient_id, list_sort(list(DISTINCT category)) AS cats
  FROM declared_drivers GROUP BY patient_id
),
drv AS (
  SELECT p.patient_id, count(s.key) AS n,
         bool_or(s.status = 'persistent') AS kept, bool_and(s.status = 'lost') AS all_lost
  FROM cx_prog p LEFT JOIN cx_orig o ON o.patient_id = p.patient_id
  LEFT JOIN cx_status s ON s.patient_id = o.patient_id AND s.key = o.key
  GROUP BY p.patient_id
),
ctx AS (
  SELECT p.patient_id, coalesce(c.oncotree, '') AS oncotree,
         coalesce(pr.present, []) AS present,
         coalesce(l.classes, []) AS classes,
         coalesce(l.generations, []) AS generations,
         coalesce(l.unnamed, []) AS unnamed,
         coalesce(l.drugs, []) AS drugs,
         list_sort(list_distinct(list_concat(coalesce(h.history, []), coalesce(l.classes, []))))
           AS history,
         CASE WHEN d.n > 0 THEN oc.cats ELSE coalesce(dd.cats, []) END AS driver_categories,
         CASE WHEN d.n = 0 AND dd.patient_id IS NOT NULL THEN 'unknown'
              WHEN d.n = 0 THEN 'none'
              WHEN d.kept THEN 'persistent'
              WHEN d.all_lost THEN 'lost'
              ELSE 'unknown' END AS driver_state
  FROM cx_prog p
  JOIN drv d ON d.patient_id = p.patient_id
  LEFT JOIN code c ON c.patient_id = p.patient_id
  LEFT JOIN pres pr ON pr.patient_id = p.patient_id
  LEFT JOIN line l ON l.patient_id = p.patient_id
  LEFT JOIN hist h ON h.patient_id = p.patient_id
  LEFT JOIN orig_cats oc ON oc.patient_id = p.patient_id
  LEFT JOIN declared dd ON dd.patient_id = p.patient_id
)
SELECT *, concat_ws({sep}, oncotree, array_to_string(present, ','),
                    array_to_string(classes, ','), array_to_string(generations, ','),
                    array_to_string(unnamed, ','), array_to_string(drugs, ','),
                    array_to_string(history, ','), array_to_string(driver_categories, ','),
                    driver_state) AS sig
FROM ctx
""",
    ]


def _situation(row: Sequence[Any]) -> Situation:
    """The rule's :class:`~tkiresist.knowledge.applies.Situation` for one row of ``cx_ctx``
    (oncotree, present, classes, generations, unnamed, drugs, history, driver categories,
    driver state): an EGFR driver presumed from an EGFR TKI line when none is known, as the
    engine does. The phase of C797X is never known (a cBioPortal study does not carry it), nor
    are the progression's sites or the classes of the lines before the one in effect (the
    history includes that line): a statement limited to a trial's population (COMPEL:
    extracranial progression on a first EGFR TKI) applies with a note, as in the engine for a
    case that does not say (:mod:`tkiresist.knowledge.applies`, rules 3 and 7)."""
    from tkiresist.knowledge.applies import Prior, Situation

    oncotree, present, classes, gens, unnamed, drugs, history, driver_cats, state = row
    prior = Prior(
        known=True,
        classes=frozenset(classes),
        generations=frozenset(int(g) for g in gens),
        unnamed=frozenset(unnamed),
        drugs=frozenset(drugs),
        history=frozenset(history),
    )
    return Situation(
        oncotree=oncotree,
        present=frozenset(present),
        prior=prior,
        driver_categories=frozenset(driver_cats),
        driver_state=state,
    ).with_presumed_driver()


_CTX_COLUMNS: Final = (
    "oncotree",
    "present",
    "classes",
    "generations",
    "unnamed",
    "drugs",
    "history",
    "driver_categories",
    "driver_state",
)


def _apply_rule(con: duckdb.DuckDBPyConnection) -> int:
    """``cx_applies`` (sig, statement_id): for each *distinct* context of ``cx_ctx``, the
    statements that :func:`tkiresist.knowledge.applies.verdict` says apply; ``cx_notes`` (sig,
    statement_id, note): the assumptions it made for them. Python runs once per distinct
    context and statement, never per patient. Returns the number of distinct contexts."""
    from tkiresist.knowledge.applies import verdict

    statements = _statements(con)
    cols = ", ".join(f"any_value({c})" for c in _CTX_COLUMNS)
    contexts = con.execute(f"SELECT sig, {cols} FROM cx_ctx GROUP BY sig").fetchall()
    applies: list[tuple[str, str]] = []
    notes: list[tuple[str, str, str]] = []
    for sig, *parts in contexts:
        situation = _situation(parts)
        for st in statements:
            v = verdict(st, situation)
            if v.applies:
                applies.append((sig, st.id))
                notes.extend((sig, st.id, n) for n in v.notes)
    _register(con, "cx_applies", _arrow(applies, ("sig", "statement_id"), ("str", "str")))
    _register(
        con, "cx_notes", _arrow(notes, ("sig", "statement_id", "note"), ("str", "str", "str"))
    )
    return len(contexts)


def _result_sql() -> str:
    """Step 6 and the per-patient table, from the work tables and ``cx_applies``."""
    present = ", ".join(_lit(s) for s in PRESENT_STATES)
    return f"""
WITH
prior_label AS (
  SELECT patient_id,
         string_agg(DISTINCT agent, '+' ORDER BY agent) AS prior_drug,
         string_agg(DISTINCT drug_class, ',' ORDER BY drug_class) AS prior_drug_classes,
         string_agg(DISTINCT CAST(generation AS VARCHAR), ',' ORDER BY CAST(generation AS VARCHAR))
           AS prior_generations
  FROM cx_prior GROUP BY patient_id
),
-- 6. mechanisms: a statement that applies in the patient's context fires for a present
-- alteration, not the original driver, carrying one of its categories (its triggers, as the
-- engine's); its status is its best trigger's (acquired > not assessable > persistent), read
-- from the any_of triggers; its categories are those any_of triggers' of that status
trig AS (
  SELECT s.patient_id, s.key, k.category, m.statement_id, m.role,
         CASE s.status WHEN 'acquired' THEN 3 WHEN 'not_assessable' THEN 2 ELSE 1 END AS r
  FROM cx_status s
  JOIN cx_keycat k ON k.patient_id = s.patient_id AND k.key = s.key
  JOIN kb_match m ON m.category = k.category AND m.role IN ('any_of', 'all_of')
  ANTI JOIN cx_orig o ON o.patient_id = s.patient_id AND o.key = s.key
  WHERE s.status IN ({present})
),
fired AS (
  SELECT t.* FROM trig t
  JOIN cx_ctx c ON c.patient_id = t.patient_id
  SEMI JOIN cx_applies a ON a.sig = c.sig AND a.statement_id = t.statement_id
),
mech AS (
  SELECT patient_id, statement_id,
         coalesce(max(r) FILTER (WHERE role = 'any_of'), max(r)) AS r
  FROM fired GROUP BY patient_id, statement_id
),
mech_cat AS (
  SELECT DISTINCT m.patient_id, m.r, f.category
  FROM mech m JOIN fired f ON f.patient_id = m.patient_id AND f.statement_id = m.statement_id
  WHERE f.role = 'any_of' AND f.r = m.r
),
mech_list AS (
  SELECT patient_id,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 3) AS mechanisms,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 2) AS mechanisms_na,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 1) AS mechanisms_persistent
  FROM mech GROUP BY patient_id
),
cat_list AS (
  SELECT patient_id,
         list(category ORDER BY category) FILTER (WHERE r = 3) AS categories,
         list(category ORDER BY category) FILTER (WHERE r = 2) AS categories_na
  FROM mech_cat GROUP BY patient_id
),
-- the assumptions the rule made for the statements that fired (a TKI generation not stated,
-- a presumed driver, a driver state or C797X phase not known)
notes_list AS (
  SELECT m.patient_id, list(DISTINCT n.note ORDER BY n.note) AS assumptions
  FROM mech m JOIN cx_ctx c ON c.patient_id = m.patient_id
  JOIN cx_notes n ON n.sig = c.sig AND n.statement_id = m.statement_id
  GROUP BY m.patient_id
),
acq_list AS (
  SELECT s.patient_id, list(DISTINCT i.name ORDER BY i.name) AS acquired
  FROM cx_status s
  JOIN cx_obs o ON o.patient_id = s.patient_id AND o.key = s.key AND o.now
  JOIN alt_info i ON i.alt_id = o.alt_id
  WHERE s.status = 'acquired'
  GROUP BY s.patient_id
),
samples_list AS (
  SELECT patient_id,
         list(sample_id ORDER BY day, sample_id) FILTER (WHERE NOT now) AS baseline_samples,
         list(sample_id ORDER BY day, sample_id) FILTER (WHERE now) AS progression_samples
  FROM cx_phase GROUP BY patient_id
),
-- 7. plasma: the first liquid sample of the line (up to the decision point) that detected
-- each alteration of an acquired or not-assessable mechanism, and the lead time before the
-- line's first radiographic progression up to the decision point (as the dynamics step
-- measures it), else before the decision point's sample
line_stop AS (
  SELECT patient_id, CASE WHEN bool_or(stop_day IS NULL) THEN NULL ELSE max(stop_day) END AS stop
  FROM cx_prior GROUP BY patient_id
),
radio AS (
  SELECT p.patient_id, min(r.day) AS pd_day
  FROM cx_prog p JOIN progressions r ON r.patient_id = p.patient_id
   AND r.day > p.start_day AND r.day <= p.day
  LEFT JOIN line_stop ls ON ls.patient_id = p.patient_id
  WHERE ls.stop IS NULL OR r.day <= ls.stop
  GROUP BY p.patient_id
),
anchor AS (
  SELECT p.patient_id, coalesce(r.pd_day, p.day) AS day,
         CASE WHEN r.pd_day IS NULL THEN 'progression_sample'
              ELSE 'radiographic_progression' END AS kind
  FROM cx_prog p LEFT JOIN radio r ON r.patient_id = p.patient_id
),
plasma_first AS (
  SELECT t.patient_id, t.key, min(s.day) AS first_day, arg_min(i.name, (s.day, i.name)) AS name
  FROM (SELECT DISTINCT patient_id, key FROM fired WHERE r >= 2) t
  JOIN cx_prog p ON p.patient_id = t.patient_id
  JOIN samples s ON s.patient_id = t.patient_id AND s.liquid
                AND s.day > p.start_day AND s.day <= p.day
  JOIN alterations a ON a.patient_id = s.patient_id AND a.sample_id = s.sample_id
  JOIN alt_info i ON i.alt_id = a.alt_id AND i.key = t.key
  GROUP BY t.patient_id, t.key
),
plasma_list AS (
  SELECT f.patient_id,
         list(f.name ORDER BY f.first_day, f.name) AS plasma_resistance,
         list(f.first_day ORDER BY f.first_day, f.name) AS plasma_first_days,
         list(round((an.day - f.first_day) / {DAYS_PER_MONTH!r}, 2) ORDER BY f.first_day, f.name)
           AS plasma_lead_months,
         (an.day - min(f.first_day)) / {DAYS_PER_MONTH!r} AS plasma_lead_time_months,
         an.kind AS plasma_lead_anchor
  FROM plasma_first f JOIN anchor an ON an.patient_id = f.patient_id
  GROUP BY f.patient_id, an.day, an.kind
),
counts AS (
  SELECT patient_id,
         count(*) FILTER (WHERE now_pos AND status = 'persistent') AS n_persistent,
         count(*) FILTER (WHERE now_pos AND status = 'not_assessable') AS n_not_assessable
  FROM cx_status GROUP BY patient_id
)
SELECT p.patient_id, l.prior_drug, l.prior_drug_classes, l.prior_generations,
       p.start_day AS therapy_start_day, p.sample_id AS progression_sample,
       coalesce(sl.progression_samples, []) AS progression_samples,
       p.day AS progression_day,
       (p.day - p.start_day) / {DAYS_PER_MONTH!r} AS months_from_therapy_start,
       coalesce(sl.baseline_samples, []) AS baseline_samples,
       coalesce(len(sl.baseline_samples), 0) > 0 AS assessable,
       c.driver_state,
       coalesce(al.acquired, []) AS acquired,
       coalesce(ct.n_persistent, 0) AS n_persistent,
       coalesce(ct.n_not_assessable, 0) AS n_not_assessable,
       coalesce(ml.mechanisms, []) AS mechanisms,
       coalesce(cl.categories, []) AS mechanism_categories,
       coalesce(ml.mechanisms_na, []) AS mechanisms_not_assessable,
       coalesce(cl.categories_na, []) AS not_assessable_categories,
       coalesce(ml.mechanisms_persistent, []) AS mechanisms_persistent,
       coalesce(nl.assumptions, []) AS assumptions,
       coalesce(pl.plasma_resistance, []) AS plasma_resistance,
       coalesce(pl.plasma_first_days, []) AS plasma_first_days,
       coalesce(pl.plasma_lead_months, []) AS plasma_lead_months,
       pl.plasma_lead_time_months,
       pl.plasma_lead_anchor,
       rd.pd_day AS radiographic_progression_day
FROM cx_prog p
JOIN prior_label l ON l.patient_id = p.patient_id
JOIN cx_ctx c ON c.patient_id = p.patient_id
LEFT JOIN samples_list sl ON sl.patient_id = p.patient_id
LEFT JOIN acq_list al ON al.patient_id = p.patient_id
LEFT JOIN mech_list ml ON ml.patient_id = p.patient_id
LEFT JOIN cat_list cl ON cl.patient_id = p.patient_id
LEFT JOIN counts ct ON ct.patient_id = p.patient_id
LEFT JOIN notes_list nl ON nl.patient_id = p.patient_id
LEFT JOIN plasma_list pl ON pl.patient_id = p.patient_id
LEFT JOIN radio rd ON rd.patient_id = p.patient_id
ORDER BY p.patient_id
"""


def _drop_work(con: duckdb.DuckDBPyConnection) -> None:
    for name in _WORK_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def analyse(con: duckdb.DuckDBPyConnection, max_gap_days: int = 90) -> pa.Table:
    """The per-patient table (:data:`PATIENT_COLUMNS`) from the tables in ``con`` (steps 1-6
    of the module docstring): set-based SQL over the input and knowledge tables, and the
    matching rule of :mod:`tkiresist.knowledge.applies` run once per distinct context."""
    try:
        for sql in _stage_sql(max_gap_days):
            con.execute(sql)
        _apply_rule(con)
        return _to_arrow(con, _result_sql())
    finally:
        _drop_work(con)


def situations(con: duckdb.DuckDBPyConnection, max_gap_days: int = 90) -> dict[str, Situation]:
    """Each patient's :class:`~tkiresist.knowledge.applies.Situation` as cohort mode builds it
    (present categories: those a mechanism statement names), for comparing with the engine's."""
    try:
        for sql in _stage_sql(max_gap_days):
            con.execute(sql)
        cols = ", ".join(_CTX_COLUMNS)
        rows = con.execute(f"SELECT patient_id, {cols} FROM cx_ctx").fetchall()
        return {r[0]: _situation(r[1:]) for r in rows}
    finally:
        _drop_work(con)
