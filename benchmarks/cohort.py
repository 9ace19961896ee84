"""Benchmark cohort mode (issue #7) on a synthetic cBioPortal study.

Generates a study of ``--patients`` patients (100,000 by default): about 2 samples each, about
3 million MAF rows, structural variants, long-format discrete CNA, gene panels, treatment and
specimen timelines. Then runs ``tkiresist cohort`` on it end to end in a subprocess and prints:

* generation time, study size on disk and row counts;
* the cohort run's wall time and peak memory (the child's maximum resident set size), against
  the targets (under 2 minutes, under 4 GB on the 2-core machine);
* planted versus recovered frequencies: the recovered count must equal the count planted in
  patients whose mechanism is assessable (exact agreement), and the planted probability must lie
  inside the summary's exact 95% CI (a statistical check: with a fixed seed it is reproducible).

Run: ``python benchmarks/cohort.py [--patients 100000] [--seed 7] [--keep DIR]``.
Exit status 1 when a check fails.

Planted model (what a patient is)
---------------------------------
* 45% first-line osimertinib, 35% first- or second-generation EGFR TKI (erlotinib 40%,
  gefitinib 40%, afatinib 20%), 10% chemotherapy only, 10% no progression sample. 5% of the
  TKI patients have no baseline sample (not assessable); 2% of the early-TKI patients stopped
  their TKI long before the progression sample (no targeted line in effect: excluded).
* EGFR driver at baseline and at progression: exon 19 deletion (p.E746_A750del) 60%, L858R 40%.
* Acquired at progression, drawn independently:

  ========================  =================  ===========================================
  after erlotinib,          EGFR T790M 55%     Yu et al. 2013 (Clin Cancer Res, 155
  gefitinib, afatinib                          rebiopsies: 63%, 95% CI 55-70%) and Sequist
                                               et al. 2011 (Sci Transl Med: 49%) [verified]
                            MET amp. 5%        Yu 2013 (4/75 by FISH) [verified]
                            ALK fusion 0.69%   0.03 x 0.23: fusions 3% (low end of 3-10%),
                                               ALK 23% of fusions (seed review, Cheung 2025,
                                               citing Schrock 2018)
                            SCLC 3%            Yu 2013 (3%) [verified]
  after osimertinib         MET amp. 15%       figure of the brief; cf. Chmielecki 2023
                                               (FLAURA: MET amplification among the most
                                               frequent) and Leonetti 2019 [the 15% itself
                                               not verified: uncertain]
                            EGFR C797S 7%      assumption (order of magnitude of FLAURA
                                               reports) [uncertain]
                            any fusion 6%      seed: 3-10% of resistance (Cheung 2025)
                            ... of which       BRAF 32%, ALK 23% (seed, citing Schrock 2018);
                                               RET 20%, ROS1 10%, FGFR3 10%, NTRK1 5%
                                               [assumed split of the remaining 45%]
                            SCLC 4%            assumption [uncertain]
  ========================  =================  ===========================================

  ALK fusion overall: 0.45 x 6% x 23% + 0.35 x 0.69% = about 0.86% of all patients, about 1.1%
  of those with acquired resistance on an EGFR TKI (the seed's 1-3%).
* Passenger mutations (about 15 per sample, in genes no resistance statement names), 85% of a
  baseline's passengers kept at progression plus about 3 new ones; some in genes that the
  sample's panel does not cover (not assessable). Random gains and deletions in CNA genes that
  name no amplification category; non-kinase passenger fusions.
* Months from therapy start to the progression sample: log-normal, median 18.9 (osimertinib)
  or 10.2 (early TKIs), the FLAURA medians of progression-free survival (Soria et al. 2018,
  NEJM) [verified], SD of the log 0.5.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STUDY_ID = "synthetic_egfr_resistance"

MUT_PANEL_A = [
    "EGFR",
    "ALK",
    "ROS1",
    "RET",
    "MET",
    "BRAF",
    "TP53",
    "RB1",
    "STK11",
    "KEAP1",
    "SMARCA4",
    "ARID1A",
    "ARID1B",
    "ATM",
    "ATR",
    "BRCA1",
    "BRCA2",
    "CDKN2A",
    "CREBBP",
    "EP300",
    "FAT1",
    "KMT2C",
    "KMT2D",
    "LRP1B",
    "NF1",
    "NOTCH1",
    "PTEN",
    "PTPRD",
    "SETD2",
    "SPTA1",
    "APC",
    "AXIN2",
    "BAP1",
    "CHEK2",
    "CUL3",
    "DNMT3A",
    "ERBB4",
    "FBXW7",
    "FGFR1",
    "FGFR2",
    "FGFR3",
    "GNAS",
    "JAK2",
    "KDR",
    "MGA",
    "NFE2L2",
    "NTRK1",
    "NTRK2",
    "NTRK3",
    "PBRM1",
    "PIK3R1",
    "POLE",
    "RBM10",
    "RICTOR",
    "SMAD4",
    "SOX2",
    "TERT",
    "TSC1",
    "TSC2",
    "U2AF1",
    "ZFHX3",
]
MUT_PANEL_B = MUT_PANEL_A[:42]
# passenger genes: on the panels, and not named by any resistance statement
PASSENGER_GENES = [
    g for g in MUT_PANEL_A if g not in {"EGFR", "ALK", "ROS1", "RET", "MET", "BRAF"}
] + ["ZNF703", "CSMD3", "USH2A", "PCLO"]  # the last four: on no panel (not assessable)
SV_PANEL = [
    "ALK",
    "ROS1",
    "RET",
    "BRAF",
    "NTRK1",
    "NTRK2",
    "NTRK3",
    "FGFR1",
    "FGFR2",
    "FGFR3",
    "MET",
    "NRG1",
    "EGFR",
]
CNA_PANEL = [
    "MET",
    "EGFR",
    "ERBB2",
    "CDKN2A",
    "MYC",
    "CCND1",
    "MDM2",
    "NKX2-1",
    "SMAD4",
    "PTEN",
    "RB1",
    "TP53",
]
CNA_NOISE = (("CDKN2A", -2), ("MYC", 1), ("CCND1", 1), ("MDM2", 1), ("NKX2-1", 1), ("SMAD4", -1))

EARLY = ("Erlotinib", "Gefitinib", "Afatinib")
EARLY_P = (0.4, 0.4, 0.2)
FUSIONS = (  # category, (5', 3'), share among osimertinib fusions
    ("braf_fusion", ("AGK", "BRAF"), 0.32),
    ("alk_fusion", ("EML4", "ALK"), 0.23),
    ("ret_fusion", ("CCDC6", "RET"), 0.20),
    ("ros1_fusion", ("CD74", "ROS1"), 0.10),
    ("fgfr_fusion", ("FGFR3", "TACC3"), 0.10),
    ("ntrk_fusion", ("TPM3", "NTRK1"), 0.05),
)
P_EARLY = {"egfr_t790m": 0.55, "met_amplification": 0.05, "alk_fusion": 0.03 * 0.23, "sclc": 0.03}
P_OSI = {"met_amplification": 0.15, "egfr_c797x": 0.07, "fusion": 0.06, "sclc": 0.04}
AA = "ACDEFGHIKLMNPQRSTVWY"


def _write(con: object, table: object, path: Path, preamble: str = "") -> None:
    """A pyarrow table as TSV (DuckDB COPY), with optional lines before the header."""
    con.register("_t", table)  # type: ignore[attr-defined]
    tmp = path.with_suffix(".part")
    con.execute(  # type: ignore[attr-defined]
        f"COPY (SELECT * FROM _t) TO '{tmp}' (FORMAT csv, DELIMITER '\t', HEADER true, QUOTE '')"
    )
    con.unregister("_t")  # type: ignore[attr-defined]
    if preamble:
        with path.open("wb") as out, tmp.open("rb") as src:
            out.write(preamble.encode())
            shutil.copyfileobj(src, out, 1 << 22)
        tmp.unlink()
    else:
        tmp.rename(path)


def _meta(path: Path, fields: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{k}: {v}\n" for k, v in fields), encoding="utf-8")


def generate(out: Path, n: int, seed: int) -> dict[str, object]:
    """Write the study into ``out`` and return the planted truth."""
    import duckdb
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True)
    pid = np.array([f"P{i:06d}" for i in range(n)])
    group = rng.choice(4, size=n, p=(0.45, 0.35, 0.10, 0.10))  # 0 osi, 1 early, 2 chemo, 3 none
    early_drug = rng.choice(3, size=n, p=EARLY_P)
    tki = group <= 1
    no_baseline = tki & (rng.random(n) < 0.05)
    stopped_early = (group == 1) & (rng.random(n) < 0.02)
    has_prog = group <= 2
    has_base = ~no_baseline
    sclc = np.zeros(n, dtype=bool)
    driver = np.where(rng.random(n) < 0.6, "p.E746_A750del", "p.L858R")

    # --- days ---
    base_day = rng.integers(0, 30, size=n)
    start = base_day + rng.integers(7, 29, size=n)
    median = np.where(group == 0, 18.9, 10.2)
    months = np.exp(np.log(median) + 0.5 * rng.standard_normal(n))
    prog_day = start + np.maximum(30, np.round(months * 30.4375)).astype(np.int64)
    stop = prog_day + rng.integers(0, 31, size=n)
    stop = np.where(stopped_early, start + 60, stop)
    prog_day = np.where(stopped_early, np.maximum(prog_day, start + 60 + 200), prog_day)

    # --- planted mechanisms ---
    u = rng.random((n, 6))
    planted: dict[str, np.ndarray] = {}
    early = group == 1
    osi = group == 0
    planted["egfr_t790m"] = early & (u[:, 0] < P_EARLY["egfr_t790m"])
    planted["met_amplification"] = (early & (u[:, 1] < P_EARLY["met_amplification"])) | (
        osi & (u[:, 1] < P_OSI["met_amplification"])
    )
    planted["egfr_c797x"] = osi & (u[:, 2] < P_OSI["egfr_c797x"])
    fusion_osi = osi & (u[:, 3] < P_OSI["fusion"])
    shares = np.array([f[2] for f in FUSIONS])
    which = rng.choice(len(FUSIONS), size=n, p=shares / shares.sum())
    fusion_kind = np.where(fusion_osi, which, -1)
    fusion_kind = np.where(early & (u[:, 4] < P_EARLY["alk_fusion"]), 1, fusion_kind)
    for i, (cat, _, _) in enumerate(FUSIONS):
        planted[cat] = fusion_kind == i
    sclc = (early & (u[:, 5] < P_EARLY["sclc"])) | (osi & (u[:, 5] < P_OSI["sclc"]))
    planted["sclc_transformation"] = sclc

    # --- clinical ---
    con = duckdb.connect()
    sample_rows_p: list[np.ndarray] = []
    sample_rows_s: list[np.ndarray] = []
    sample_rows_t: list[np.ndarray] = []
    sample_rows_o: list[np.ndarray] = []
    base_id = np.char.add(pid, "-B")
    prog_id = np.char.add(pid, "-R")
    sample_rows_p += [pid[has_base], pid[has_prog]]
    sample_rows_s += [base_id[has_base], prog_id[has_prog]]
    btype = np.where(rng.random(n) < 0.8, "primary", "metastasis")
    sample_rows_t += [btype[has_base], np.full(int(has_prog.sum()), "progression")]
    sample_rows_o += [
        np.full(int(has_base.sum()), "LUAD"),
        np.where(sclc, "SCLC", "LUAD")[has_prog],
    ]
    samples = pa.table(
        {
            "PATIENT_ID": np.concatenate(sample_rows_p),
            "SAMPLE_ID": np.concatenate(sample_rows_s),
            "SAMPLE_TYPE": np.concatenate(sample_rows_t),
            "ONCOTREE_CODE": np.concatenate(sample_rows_o),
        }
    )
    head4 = lambda cols: "".join(  # noqa: E731
        "#" + "\t".join(row) + "\n"
        for row in (cols, cols, ["STRING"] * len(cols), ["1"] * len(cols))
    )
    _write(con, samples, out / "data_clinical_sample.txt", head4(list(samples.column_names)))
    patients = pa.table(
        {
            "PATIENT_ID": pid,
            "AGE": rng.integers(35, 86, size=n),
            "SEX": np.where(rng.random(n) < 0.6, "Female", "Male"),
        }
    )
    _write(
        con,
        patients,
        out / "data_clinical_patient.txt",
        "#Patient Identifier\tAge\tSex\n#Patient identifier\tAge at diagnosis\tSex\n"
        "#STRING\tNUMBER\tSTRING\n#1\t1\t1\n",
    )

    # --- timelines ---
    agent = np.where(group == 0, "Osimertinib", np.array(EARLY)[early_drug])
    agent_class = np.full(n, "egfr_tki")
    t_has = group != 2
    chemo = group == 2
    treat = pa.table(
        {
            "PATIENT_ID": np.concatenate([pid[t_has], pid[chemo], pid[chemo]]),
            "START_DATE": np.concatenate([start[t_has], start[chemo], start[chemo]]),
            "STOP_DATE": np.concatenate(
                [
                    np.where(group == 3, -1, stop)[t_has],
                    stop[chemo],
                    stop[chemo],
                ]
            ).astype(object),
            "EVENT_TYPE": np.full(int(t_has.sum() + 2 * chemo.sum()), "TREATMENT"),
            "TREATMENT_TYPE": np.full(int(t_has.sum() + 2 * chemo.sum()), "Medical Therapy"),
            "AGENT": np.concatenate(
                [
                    agent[t_has],
                    np.full(chemo.sum(), "Carboplatin"),
                    np.full(chemo.sum(), "Pemetrexed"),
                ]
            ),
            "AGENT_CLASS": np.concatenate(
                [agent_class[t_has], np.full(2 * chemo.sum(), "chemotherapy")]
            ),
        }
    )
    stops = treat.column("STOP_DATE").to_pylist()
    treat = treat.set_column(
        2, "STOP_DATE", pa.array(["" if s == -1 else str(s) for s in stops], pa.string())
    )
    _write(con, treat, out / "data_timeline_treatment.txt")
    spec = pa.table(
        {
            "PATIENT_ID": np.concatenate([pid[has_base], pid[has_prog]]),
            "START_DATE": np.concatenate([base_day[has_base], prog_day[has_prog]]),
            "STOP_DATE": np.full(int(has_base.sum() + has_prog.sum()), ""),
            "EVENT_TYPE": np.full(int(has_base.sum() + has_prog.sum()), "SPECIMEN"),
            "SAMPLE_ID": np.concatenate([base_id[has_base], prog_id[has_prog]]),
            "SPECIMEN_TYPE": np.full(int(has_base.sum() + has_prog.sum()), "tissue"),
        }
    )
    _write(con, spec, out / "data_timeline_specimen.txt")

    # --- panels ---
    all_samples = samples.column("SAMPLE_ID").to_numpy(zero_copy_only=False)
    panel_b = rng.random(len(all_samples)) < 0.3
    matrix = pa.table(
        {
            "SAMPLE_ID": all_samples,
            "mutations": np.where(panel_b, "SYNTH_B", "SYNTH_A"),
            "structural_variants": np.full(len(all_samples), "SYNTH_SV"),
            "cna": np.full(len(all_samples), "SYNTH_CNA"),
        }
    )
    _write(con, matrix, out / "data_gene_panel_matrix.txt")
    for name, genes in (
        ("SYNTH_A", MUT_PANEL_A),
        ("SYNTH_B", MUT_PANEL_B),
        ("SYNTH_SV", SV_PANEL),
        ("SYNTH_CNA", CNA_PANEL),
    ):
        _meta(
            out / f"data_gene_panel_{name.lower()}.txt",
            [
                ("stable_id", name),
                ("description", "synthetic panel"),
                ("gene_list", "\t".join(genes)),
            ],
        )

    # --- mutations ---
    ns = len(all_samples)
    npass = rng.poisson(15.5, size=ns)
    s_idx = np.repeat(np.arange(ns), npass)
    g_idx = rng.integers(0, len(PASSENGER_GENES), size=s_idx.size)
    pos = rng.integers(1, 1001, size=s_idx.size)
    # progression samples copy 85% of their baseline's passengers: regenerate for the R samples
    sample_pid = samples.column("PATIENT_ID").to_numpy(zero_copy_only=False)
    is_prog = np.char.endswith(all_samples.astype(str), "-R")
    base_of = {p: i for i, (p, r) in enumerate(zip(sample_pid, is_prog, strict=True)) if not r}
    prog_rows = is_prog[s_idx]
    # baseline passengers of patients with both samples
    keep_s, keep_g, keep_p = [], [], []
    base_mask = ~prog_rows
    b_sidx, b_g, b_pos = s_idx[base_mask], g_idx[base_mask], pos[base_mask]
    prog_index_of_base = np.full(ns, -1)
    for i, (p, r) in enumerate(zip(sample_pid, is_prog, strict=True)):
        if r and p in base_of:
            prog_index_of_base[base_of[p]] = i
    target = prog_index_of_base[b_sidx]
    copy = (target >= 0) & (rng.random(b_sidx.size) < 0.85)
    keep_s.append(target[copy])
    keep_g.append(b_g[copy])
    keep_p.append(b_pos[copy])
    new_prog = rng.poisson(3.0, size=ns) * is_prog
    ns_idx = np.repeat(np.arange(ns), new_prog)
    keep_s.append(ns_idx)
    keep_g.append(rng.integers(0, len(PASSENGER_GENES), size=ns_idx.size))
    keep_p.append(rng.integers(1, 1001, size=ns_idx.size))
    # baseline passengers stay as drawn; progression samples get copies + new ones
    ms = np.concatenate([b_sidx, *keep_s])
    mg = np.concatenate([b_g, *keep_g])
    mp = np.concatenate([b_pos, *keep_p])
    genes = np.array(PASSENGER_GENES)[mg]
    ref = np.array(list(AA))[(mp * 7 + mg) % 20]
    alt = np.array(list(AA))[(mp * 11 + mg * 3 + 5) % 20]
    alt = np.where(alt == ref, "*", alt)
    hgvsp = np.char.add(np.char.add(np.char.add("p.", ref), mp.astype(str)), alt)
    vclass = np.where(alt == "*", "Nonsense_Mutation", "Missense_Mutation")
    # drivers (every sample) and planted EGFR mutations (progression samples)
    sample_driver = driver[np.searchsorted(pid, sample_pid)]
    t790 = planted["egfr_t790m"][np.searchsorted(pid, sample_pid)] & is_prog
    c797 = planted["egfr_c797x"][np.searchsorted(pid, sample_pid)] & is_prog
    drv_class = np.where(sample_driver == "p.L858R", "Missense_Mutation", "In_Frame_Del")
    maf = pa.table(
        {
            "Hugo_Symbol": np.concatenate(
                [
                    genes,
                    np.full(ns, "EGFR"),
                    np.full(t790.sum(), "EGFR"),
                    np.full(c797.sum(), "EGFR"),
                ]
            ),
            "Tumor_Sample_Barcode": np.concatenate(
                [all_samples[ms], all_samples, all_samples[t790], all_samples[c797]]
            ),
            "Variant_Classification": np.concatenate(
                [
                    vclass,
                    drv_class,
                    np.full(t790.sum(), "Missense_Mutation"),
                    np.full(c797.sum(), "Missense_Mutation"),
                ]
            ),
            "HGVSp_Short": np.concatenate(
                [
                    hgvsp,
                    sample_driver,
                    np.full(t790.sum(), "p.T790M"),
                    np.full(c797.sum(), "p.C797S"),
                ]
            ),
        }
    )
    depth = rng.integers(80, 900, size=maf.num_rows)
    altc = (depth * rng.uniform(0.03, 0.6, size=maf.num_rows)).astype(np.int64)
    maf = maf.append_column("t_ref_count", pa.array(depth - altc)).append_column(
        "t_alt_count", pa.array(altc)
    )
    _write(con, maf, out / "data_mutations.txt", "#version 2.4\n")

    # --- structural variants ---
    fk = fusion_kind[np.searchsorted(pid, sample_pid)]
    has_f = (fk >= 0) & is_prog
    five = np.array([f[1][0] for f in FUSIONS])[fk[has_f]]
    three = np.array([f[1][1] for f in FUSIONS])[fk[has_f]]
    noise = rng.random(ns) < 0.08
    pairs = np.array([("KIF5B", "NCOA4"), ("STK11", "CUL3"), ("TP53", "WRAP53")])
    which_noise = rng.integers(0, len(pairs), size=int(noise.sum()))
    sv = pa.table(
        {
            "Sample_Id": np.concatenate([all_samples[has_f], all_samples[noise]]),
            "SV_Status": np.full(int(has_f.sum() + noise.sum()), "SOMATIC"),
            "Site1_Hugo_Symbol": np.concatenate([five, pairs[which_noise, 0]]),
            "Site2_Hugo_Symbol": np.concatenate([three, pairs[which_noise, 1]]),
            "Event_Info": np.full(int(has_f.sum() + noise.sum()), "Fusion"),
        }
    )
    _write(con, sv, out / "data_sv.txt")

    # --- CNA (long, non-zero values only; coverage from the panel) ---
    met = planted["met_amplification"][np.searchsorted(pid, sample_pid)] & is_prog
    ncn = rng.poisson(1.0, size=ns)
    c_idx = np.repeat(np.arange(ns), ncn)
    c_kind = rng.integers(0, len(CNA_NOISE), size=c_idx.size)
    cna = pa.table(
        {
            "Hugo_Symbol": np.concatenate(
                [np.array([g for g, _ in CNA_NOISE])[c_kind], np.full(met.sum(), "MET")]
            ),
            "Sample_Id": np.concatenate([all_samples[c_idx], all_samples[met]]),
            "Value": np.concatenate(
                [np.array([v for _, v in CNA_NOISE])[c_kind], np.full(met.sum(), 2)]
            ),
        }
    )
    con.register("_c", cna)
    cna = con.sql("SELECT DISTINCT ON (Hugo_Symbol, Sample_Id) * FROM _c").to_arrow_table()
    con.unregister("_c")
    _write(con, cna, out / "data_cna.txt")

    # --- meta files ---
    sid = STUDY_ID
    _meta(
        out / "meta_study.txt",
        [
            ("type_of_cancer", "luad"),
            ("cancer_study_identifier", sid),
            ("name", "Synthetic EGFR-mutant NSCLC resistance cohort"),
            ("description", "Generated by benchmarks/cohort.py (synthetic, not real patients)"),
            ("add_global_case_list", "true"),
        ],
    )
    for name, kind, dtype, data in (
        (
            "meta_clinical_patient.txt",
            "CLINICAL",
            "PATIENT_ATTRIBUTES",
            "data_clinical_patient.txt",
        ),
        ("meta_clinical_sample.txt", "CLINICAL", "SAMPLE_ATTRIBUTES", "data_clinical_sample.txt"),
        ("meta_timeline_treatment.txt", "CLINICAL", "TIMELINE", "data_timeline_treatment.txt"),
        ("meta_timeline_specimen.txt", "CLINICAL", "TIMELINE", "data_timeline_specimen.txt"),
        (
            "meta_gene_panel_matrix.txt",
            "GENE_PANEL_MATRIX",
            "GENE_PANEL_MATRIX",
            "data_gene_panel_matrix.txt",
        ),
    ):
        _meta(
            out / name,
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", kind),
                ("datatype", dtype),
                ("data_filename", data),
            ],
        )
    for name, kind, dtype, stable, data in (
        ("meta_mutations.txt", "MUTATION_EXTENDED", "MAF", "mutations", "data_mutations.txt"),
        ("meta_sv.txt", "STRUCTURAL_VARIANT", "SV", "structural_variants", "data_sv.txt"),
        ("meta_cna.txt", "COPY_NUMBER_ALTERATION", "DISCRETE_LONG", "cna", "data_cna.txt"),
    ):
        _meta(
            out / name,
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", kind),
                ("datatype", dtype),
                ("stable_id", stable),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", stable),
                ("profile_description", "synthetic"),
                ("data_filename", data),
            ],
        )
    con.close()

    # --- truth: assessable = a progression sample on the TKI line and a baseline sample ---
    assessable = tki & has_base & ~stopped_early
    label = np.where(group == 0, "osimertinib", np.char.lower(np.array(EARLY)[early_drug]))
    return {
        "assessable": assessable,
        "label": label,
        "group": group,
        "planted": planted,
        "rows": {
            "patients": n,
            "samples": ns,
            "maf": maf.num_rows,
            "sv": sv.num_rows,
            "cna": cna.num_rows,
            "timeline": treat.num_rows + spec.num_rows,
        },
    }


def _expected(truth: dict[str, object], drugs: list[str], category: str) -> tuple[int, int, float]:
    """(planted count, assessable n, planted probability) for a group of prior drugs."""
    assessable = truth["assessable"]
    label = truth["label"]
    planted = truth["planted"]
    assert isinstance(assessable, np.ndarray) and isinstance(label, np.ndarray)
    assert isinstance(planted, dict)
    mask = assessable & np.isin(label, drugs)
    k = int((planted[category] & mask).sum())
    osi = drugs == ["osimertinib"]
    if category == "egfr_t790m":
        p = 0.0 if osi else P_EARLY["egfr_t790m"]
    elif category == "met_amplification":
        p = P_OSI["met_amplification"] if osi else P_EARLY["met_amplification"]
    elif category == "egfr_c797x":
        p = P_OSI["egfr_c797x"] if osi else 0.0
    elif category == "sclc_transformation":
        p = P_OSI["sclc"] if osi else P_EARLY["sclc"]
    else:
        share = dict((c, s) for c, _, s in FUSIONS)[category]
        p = (
            P_OSI["fusion"] * share
            if osi
            else (P_EARLY["alk_fusion"] if category == "alk_fusion" else 0.0)
        )
    return k, int(mask.sum()), p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the study and output here and keep them")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="tkiresist-cohort-bench-"))
    study = work / "study"
    out = work / "cohort"
    if study.exists():
        shutil.rmtree(study)
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    truth = generate(study, args.patients, args.seed)
    gen_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in study.rglob("*") if p.is_file())
    rows = truth["rows"]
    assert isinstance(rows, dict)
    print(f"generated in {gen_s:.1f} s: {size / 1e6:.0f} MB on disk")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))

    cmd = [
        sys.executable,
        "-m",
        "tkiresist.cli_cbioportal",
        "cohort",
        "--study",
        str(study),
        "--out",
        str(out),
        "--threads",
        str(args.threads),
        "--memory-limit",
        args.memory_limit,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep="\n")
        return 1
    print(proc.stdout.rstrip())
    print(
        f"tkiresist cohort: {wall:.1f} s wall (target < 120 s), peak RSS "
        f"{peak_kb / 1024 / 1024:.2f} GB (target < 4 GB; child max, previous max {before} kB)"
    )

    import json

    summary = json.loads((out / "summary.json").read_text())
    freq = {(f["prior_drug"], f["category"]): f for f in summary["mechanism_frequencies"]}
    failures = 0
    checks = [
        (["erlotinib", "gefitinib", "afatinib"], "egfr_t790m"),
        (["erlotinib", "gefitinib", "afatinib"], "met_amplification"),
        (["osimertinib"], "met_amplification"),
        (["osimertinib"], "egfr_c797x"),
        (["osimertinib"], "braf_fusion"),
        (["osimertinib"], "alk_fusion"),
        (["osimertinib"], "sclc_transformation"),
        (["erlotinib", "gefitinib", "afatinib"], "sclc_transformation"),
    ]
    from tkiresist.evidence.stats import proportion

    # 11 interval checks: at 95% each, one miss in three runs is expected by chance alone, so
    # pass/fail uses the Bonferroni level 1 - 0.05/11; the 95% verdict is printed too.
    level = 1 - 0.05 / 11
    print(
        "planted vs recovered: counts must agree exactly; planted p inside the exact CI "
        f"(95% shown; pass/fail at the Bonferroni level {100 * level:.2f}%):"
    )
    misses95 = 0
    for drugs, cat in checks:
        k_true, n_true, p = _expected(truth, drugs, cat)
        k = sum(int(freq[(d, cat)]["k"]) if (d, cat) in freq else 0 for d in drugs)
        n = sum(int(summary["by_prior_drug"].get(d, {}).get("assessable", 0)) for d in drugs)
        prop = proportion(k, n)
        lo, hi = prop.ci_exact or (0.0, 0.0)
        wlo, whi = proportion(k, n, level).ci_exact or (0.0, 0.0)
        in95 = lo <= p <= hi
        misses95 += not in95
        ok = k == k_true and n == n_true and wlo <= p <= whi
        failures += not ok
        print(
            f"  {'+'.join(drugs):<30} {cat:<20} planted p={p:.4f} ({k_true}/{n_true}); "
            f"recovered {k}/{n} = {100 * (prop.value or 0):.2f}% "
            f"(95% CI {100 * lo:.2f}-{100 * hi:.2f}%{'' if in95 else ', outside'}) "
            f"{'ok' if ok else 'FAIL'}"
        )
    # fusions among osimertinib patients: ALK and BRAF shares of acquired fusions
    fusion_cats = [c for c, _, _ in FUSIONS]
    osi_f = {
        c: int(freq[("osimertinib", c)]["k"]) if ("osimertinib", c) in freq else 0
        for c in fusion_cats
    }
    total = sum(osi_f.values())
    n_osi = int(summary["by_prior_drug"]["osimertinib"]["assessable"])
    for label_, k, p in (
        ("any fusion / osimertinib", total, P_OSI["fusion"]),
        ("ALK share of fusions", osi_f["alk_fusion"], 0.23),
        ("BRAF share of fusions", osi_f["braf_fusion"], 0.32),
    ):
        n = n_osi if label_.startswith("any") else total
        prop = proportion(k, n)
        lo, hi = prop.ci_exact or (0.0, 0.0)
        wlo, whi = proportion(k, n, level).ci_exact or (0.0, 0.0)
        in95 = lo <= p <= hi
        misses95 += not in95
        ok = wlo <= p <= whi
        failures += not ok
        print(
            f"  {label_:<51} planted {p:.2f}; recovered {k}/{n} = {100 * (prop.value or 0):.1f}% "
            f"(95% CI {100 * lo:.1f}-{100 * hi:.1f}%{'' if in95 else ', outside'}) "
            f"{'ok' if ok else 'FAIL'}"
        )
    print(f"  planted values outside their 95% CI: {misses95} of 11")
    all_alk = int(freq[("all", "alk_fusion")]["k"]) if ("all", "alk_fusion") in freq else 0
    all_n = int(summary["by_prior_drug"]["all"]["assessable"])
    print(
        f"  ALK fusion, all prior EGFR TKIs: {all_alk}/{all_n} = {100 * all_alk / all_n:.2f}% "
        "(the seed: about 1-3% of acquired resistance)"
    )
    print(
        f"targets: time {'met' if wall < 120 else 'MISSED'}, memory "
        f"{'met' if peak_kb < 4 * 1024 * 1024 else 'MISSED'}; checks failed: {failures}"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
