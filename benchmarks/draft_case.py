"""Benchmark ``tkiresist draft-case`` (issue #16): field-level precision and recall against
hand-made case files, and the time per draft.

Usage::

    python benchmarks/draft_case.py [--repeat 20]

Pairs of (source text, hand-made case file) come from :data:`PAIRS` and from any
``examples/<name>/source.txt`` beside its ``case.yaml``. In this repository only the seed
(``tests/data/seed/cheung2025_cureus_92202.txt`` with ``examples/cheung2025/case.yaml``) has
its source text; the other examples' texts are not bundled (licences), and the benchmark says so.

Each draft is compared with the truth field by field, per group:

* source: the DOI and PMID;
* demographics: ``patient`` age, sex, smoking, ECOG (the fields either side gives);
* histology/driver: the diagnosis' histology and OncoTree code, and the EGFR variants detected
  by the tests of the first specimen;
* therapy lines: per line in order, its drugs (one field) and each agent's dose and schedule;
* progression: per PD event, its site, the line assessed (by order) and its time relative to a
  line (``13 months after line #1``);
* responses: per CR/PR/SD event, the same and the modality;
* findings: per specimen with tests (in order), its kind and site kind; per test, its method
  and assay; per finding, alteration with status, and reported_new.

Events are aligned greedily (the pair agreeing on most fields first). Precision = fields the
draft writes that equal the aligned truth / fields the draft writes; recall = truth fields
(of the kinds above) the draft gets right / truth fields. Then it times :func:`draft_case` on
the seed and on a 5,000-word text (the seed with its case narrative repeated), including the
validation of the draft.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tkiresist.curate import draft_case  # noqa: E402
from tkiresist.errors import ParseError  # noqa: E402
from tkiresist.model.assays import catalogue  # noqa: E402
from tkiresist.model.time import TimePoint  # noqa: E402
from tkiresist.nomenclature.alterations import format_alteration, parse_alteration  # noqa: E402

PAIRS = [("cheung2025", ROOT / "tests/data/seed/cheung2025_cureus_92202.txt",
          ROOT / "examples/cheung2025/case.yaml")]  # fmt: skip
GROUPS = ("source", "demographics", "histology/driver", "therapy lines", "progression", "responses",
          "findings")  # fmt: skip
Fields = dict[str, Any]


def _alt(a: Any) -> str:
    if isinstance(a, dict):
        if a.get("kind") == "expression":
            return f"{a['marker']} IHC {a['result']}"
        a = a.get("alteration", a)
    a = str(a).replace(" exon None", "")  # gene-level variants print an exon of None
    if re.fullmatch(r"\S+(?: \(\S+\))? IHC \S+", a):  # an expression result's name
        return a
    try:
        text = format_alteration(parse_alteration(a)).replace(" exon None", "")
        return re.sub(r" by (?:FISH|IHC|NGS|PCR|ISH)$", "", text)  # the method is the test's
    except ParseError:
        return str(a)


def _finding(f: Any) -> tuple[str, str, str | None]:
    if isinstance(f, str):
        return _alt(f), "detected", None
    return _alt(f["alteration"]), f.get("status", "detected"), f.get("reported_new")


def _method(assay: str, inline: dict[str, str]) -> str:
    if assay in inline:
        return inline[assay]
    a = catalogue().get(assay)
    return a.method if a else "?"


def _line_order(case: dict[str, Any]) -> dict[str, int]:
    lines = [e for e in case["events"] if e["type"] == "therapy"]
    return {e["id"]: i for i, e in enumerate(lines, 1)}


def _relative(time: Any, order: dict[str, int]) -> str | None:
    """``N months after line #k`` for a time given from a line's start, else None."""
    if time is None:
        return None
    tp = TimePoint.model_validate(time)
    if tp.after not in order or tp.months is None:
        return None
    return f"{tp.months:.3g} months after line #{order[tp.after]}"


def groups(case: dict[str, Any]) -> dict[str, list[Fields]]:
    """The comparable fields of a case, per group: a list of records (events) of fields."""
    out: dict[str, list[Fields]] = {g: [] for g in GROUPS}
    src = case.get("source") or {}
    out["source"].append({k: str(src[k]) for k in ("doi", "pmid") if src.get(k)})
    p = case.get("patient") or {}
    out["demographics"].append(
        {k: p[k] for k in ("age_at_diagnosis", "sex", "smoking", "ecog")
         if p.get(k) is not None and p.get(k) != "unknown"}
    )  # fmt: skip
    events = case["events"]
    dx = next((e for e in events if e["type"] == "diagnosis"), {})
    hist = {k: dx[k] for k in ("histology", "oncotree_code") if k in dx}
    order = _line_order(case)
    inline = {a["id"]: a.get("method", "ngs") for a in case.get("assays", [])}
    specimens = [e["id"] for e in events if e["type"] == "specimen"]
    tests = [e for e in events if e["type"] == "test"]
    used = [s for s in specimens if any(t["specimen"] == s for t in tests)]
    first = used[0] if used else None
    for t in tests:
        if t["specimen"] == first:
            for f in t.get("findings", []):
                alt, status, _ = _finding(f)
                if status == "detected" and alt.startswith("EGFR "):
                    hist[f"driver {alt}"] = True
    out["histology/driver"].append(hist)
    for e in events:
        if e["type"] == "therapy":
            rec: Fields = {"drugs": tuple(sorted(_drug(a) for a in e["agents"]))}
            for a in e["agents"]:
                if isinstance(a, dict):
                    for k in ("dose", "schedule"):
                        if a.get(k):
                            rec[f"{a['drug']} {k}"] = a[k]
            out["therapy lines"].append(rec)
        elif e["type"] == "response":
            rec = {"category": e["category"], "site": e.get("site", "overall")}
            if e.get("therapy") in order:
                rec["therapy"] = f"line #{order[e['therapy']]}"
            rel = _relative(e.get("time"), order)
            if rel:
                rec["time"] = rel
            group = "progression" if e["category"] == "PD" else "responses"
            if group == "responses" and e.get("modality"):
                rec["modality"] = e["modality"]
            out[group].append(rec)
    for i, s in enumerate(used, 1):
        spec = next(e for e in events if e["id"] == s)
        out["findings"].append({f"specimen #{i} {k}": spec[k] for k in ("kind", "site_kind")
                                if k in spec})  # fmt: skip
        for t in tests:
            if t["specimen"] != s:
                continue
            method = _method(t["assay"], inline)
            rec = {f"specimen #{i} {method} assay": t["assay"]}
            for f in t.get("findings", []):
                alt, status, new = _finding(f)
                rec[f"specimen #{i} {method} {alt}"] = status
                if new:
                    rec[f"specimen #{i} {method} {alt} reported_new"] = True
            out["findings"].append(rec)
    return out


def _drug(a: Any) -> str:
    return (a["drug"] if isinstance(a, dict) else str(a)).lower()


def score(draft: list[Fields], truth: list[Fields]) -> tuple[int, int, int]:
    """(correct, drafted, true) fields after greedy alignment of records."""
    pairs: list[tuple[int, int, int]] = []
    for i, d in enumerate(draft):
        for j, t in enumerate(truth):
            agree = sum(1 for k, v in d.items() if t.get(k) == v)
            pairs.append((-agree, abs(i - j), i * 1000 + j))
    pairs.sort()
    used_d: set[int] = set()
    used_t: set[int] = set()
    correct = 0
    for neg, _, key in pairs:
        i, j = divmod(key, 1000)
        if i in used_d or j in used_t or neg == 0:
            continue
        used_d.add(i)
        used_t.add(j)
        correct += -neg
    return correct, sum(len(d) for d in draft), sum(len(t) for t in truth)


def _flatten(records: Iterable[Fields]) -> list[Fields]:
    merged: Fields = {}
    for r in records:
        merged.update(r)
    return [merged] if merged else []


def compare(draft_data: dict[str, Any], truth_data: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    d, t = groups(draft_data), groups(truth_data)
    out = {}
    for g in GROUPS:
        dg, tg = d[g], t[g]
        if g in ("findings", "source", "demographics", "histology/driver"):
            dg, tg = _flatten(dg), _flatten(tg)
        out[g] = score(dg, tg)
    return out


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   - "


def _five_thousand_words(text: str) -> str:
    """The seed with its case narrative told again until the text has 5,000 words or more (a
    long case report: the extractors run over every sentence of it)."""
    head, sep, rest = text.partition("Case Presentation")
    story, disc, tail = rest.partition("Discussion")
    told = story
    while len((head + sep + told + disc + tail).split()) < 5000:
        told += story
    return head + sep + told + disc + tail


def _cold_ms(path: Path) -> float:
    """One draft in a fresh interpreter, imports excluded (HGNC and drug tables included)."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from tkiresist.curate import draft_case; t = open(sys.argv[1]).read();"
        "t0 = time.perf_counter(); draft_case(t, 'x.txt');"
        "print((time.perf_counter() - t0) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT / "src")],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip())


def quotes() -> tuple[int, int, int, int, int]:
    """Findings read from the examples' verbatim ``report_text`` quotes (sentences of other
    papers beside their hand-made findings): (correct, read, true, quotes, recalled). A
    reading is correct when the example's case holds it (in any test); recall is over the
    findings of the tests the quotes are given for. Per example, the
    set of (alteration, status) read from its distinct quotes against the set its tests give
    (a quote often serves two tests, NGS and IHC). A gene-level reading (``TP53 mutation``,
    ``EGFR mutations``) is right when the truth has a variant of that gene with that status, as
    the case format matches them. Quotes that elide text (``...``) or cite a table are
    skipped."""
    from tkiresist.curate.mentions import find_mentions
    from tkiresist.curate.text import Document

    correct = read = true = n = 0
    recalled: list[int] = []
    for path in sorted((ROOT / "examples").glob("*/case.yaml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts: set[str] = set()
        want: set[tuple[str, str]] = set()
        held: set[tuple[str, str]] = set()  # every finding of the case, for precision
        for e in case["events"]:
            if e["type"] != "test":
                continue
            held |= {_finding(f)[:2] for f in e.get("findings", [])}
            text = " ".join(str(e.get("report_text", "")).split())
            if not text or "..." in text or "Table 1" in text:
                continue
            texts.add(text)
            want |= {_finding(f)[:2] for f in e.get("findings", [])}
        got = {
            (_alt(m.key), str(m.status))
            for text in texts
            for s in Document(text).narrative
            for m in find_mentions(s)
            if m.status is not None
        }
        n += len(texts)
        for alt, status in got:
            gene_level = alt.endswith((" mutation", " alteration"))
            gene = alt.split()[0]
            if (alt, status) in held or (
                gene_level
                and any(
                    w[0].startswith(gene + " ") and " IHC " not in w[0] and w[1] == status
                    for w in held
                )
            ):
                correct += 1
        read += len(got)
        true += len(want)
        # recall: the quoted tests' findings read (a gene-level reading does not count)
        correct_recall = len(got & want)
        recalled.append(correct_recall)
    return correct, read, true, n, sum(recalled)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    pairs = list(PAIRS)
    for case in sorted((ROOT / "examples").glob("*/case.yaml")):
        src = case.parent / "source.txt"
        if src.exists():
            pairs.append((case.parent.name, src, case))
    with_text = {name for name, _, _ in pairs}
    without = [p.parent.name for p in sorted((ROOT / "examples").glob("*/case.yaml"))
               if p.parent.name not in with_text]  # fmt: skip
    totals = {g: [0, 0, 0] for g in GROUPS}
    for name, src, truth_path in pairs:
        text = src.read_text(encoding="utf-8")
        draft = draft_case(text, src.name)
        truth = yaml.safe_load(truth_path.read_text(encoding="utf-8"))
        res = compare(draft.data, truth)
        valid = f"{len(draft.problems)} validation problems" if draft.problems else "validates"
        print(f"{name}: {len(text.split())} words; {len(draft.spans)} evidence spans, "
              f"{len(draft.to_check)} items to check, {valid}")  # fmt: skip
        print(f"  {'group':<18}{'precision':>10}{'recall':>9}   correct/drafted/true")
        for g in GROUPS:
            c, nd, nt = res[g]
            for k, v in zip(range(3), (c, nd, nt), strict=True):
                totals[g][k] += v
            print(f"  {g:<18}{_pct(c, nd):>10}{_pct(c, nt):>9}   {c}/{nd}/{nt}")
        c = sum(r[0] for r in res.values())
        nd = sum(r[1] for r in res.values())
        nt = sum(r[2] for r in res.values())
        print(f"  {'all fields':<18}{_pct(c, nd):>10}{_pct(c, nt):>9}   {c}/{nd}/{nt}")
    if without:
        print(f"no source text in the repository for: {', '.join(without)} (not scored)")

    c, nd, nt, n, r = quotes()
    print(
        f"findings from {n} verbatim report_text quotes of the examples (other papers): "
        f"precision {_pct(c, nd).strip()} ({c}/{nd}), recall {_pct(r, nt).strip()} ({r}/{nt})"
    )

    seed_text = PAIRS[0][1].read_text(encoding="utf-8")
    big = _five_thousand_words(seed_text)
    for label, text in (("seed", seed_text), ("5,000 words", big)):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            draft_case(text, "bench.txt")
            times.append(time.perf_counter() - t0)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            cold = _cold_ms(Path(fh.name))
        print(
            f"time per draft, {label} ({len(text.split())} words): median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over "
            f"{args.repeat} runs; first draft in a fresh process {cold:.0f} ms "
            "(loads the HGNC and drug tables)"
        )


if __name__ == "__main__":
    main()
