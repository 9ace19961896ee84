"""Figures of an evidence summary: swimmer plot, fusion partners, response by regimen.

Three figures, each a :class:`matplotlib.figure.Figure` built without pyplot (no global state;
the Agg canvas renders it), sized for a journal column (7.0 in wide, 8–9 pt text), in the
Okabe–Ito colour-blind-safe palette, and written as PNG (300 dpi) and SVG (text kept as text):

* :func:`swimmer_figure`: one bar per case, the interval from the start of the EGFR TKI at
  resistance to the detection of the resistance fusion (months); the bar's colour is that
  TKI, an arrow marks a censored interval; past the bar's end, the first post-resistance
  regimen (its colour) and the best response to it (its marker); cases without a reported
  interval are listed with "interval not reported"; each case is named by its source (first
  author and year, e.g. ``Cheung 2025``, ``Schrock 2018, case 7``; see :func:`_case_labels`);
* :func:`partner_figure`: ALK fusions by 5′ partner (double fusions count each fusion), and
  the share of cases with EML4 as the only partner against the de novo reference, with exact
  95% CIs;
* :func:`orr_figure`: objective response rate by first post-resistance regimen and pooled
  for combination EGFR + ALK TKI, with exact 95% CIs and k/n.

:func:`write_figures` writes all three. matplotlib is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tkiresist.errors import EvidenceError, Location
from tkiresist.evidence.catalogue import Predicate
from tkiresist.evidence.facts import FACTS_TABLE, as_bool, open_source
from tkiresist.evidence.summary import EvidenceSummary, Statistic, list_cases
from tkiresist.evidence.where import Filter, compile_filter, parse_filter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)
GREY = "#8C8C8C"
RESPONSE_MARKERS = {"CR": "*", "PR": "^", "SD": "o", "PD": "X"}
RESPONSE_NAMES = {
    "CR": "complete response",
    "PR": "partial response",
    "SD": "stable disease",
    "PD": "progressive disease",
}
WIDTH = 7.0  # inches: a two-column journal figure
FORMATS = ("png", "svg")
MAX_SWIMMER_CASES = 80


def _style() -> Any:
    return {
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8.5,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 7.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.8,
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
    }


def _new_figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), layout="constrained")


# ----------------------------------------------------------------------------- swimmer


@dataclass(frozen=True, slots=True)
class SwimmerCase:
    """One bar of the swimmer plot."""

    label: str
    interval: float | None
    censored: bool
    tki: str | None
    regimen: str | None
    response: str | None


def swimmer_cases(
    source: object,
    *,
    dataset: str | None = None,
    where: str | Filter | None = None,
    table: str = FACTS_TABLE,
    max_cases: int = MAX_SWIMMER_CASES,
) -> list[SwimmerCase]:
    """The cases of a swimmer plot (at most ``max_cases``: one bar per case)."""
    facts = open_source(source, table)
    flt = parse_filter(where) if isinstance(where, str) else where
    compiled = compile_filter(flt, prefix="f")
    pred = Predicate(compiled.sql, dict(compiled.params))
    tki_col = "last_egfr_tki" if "last_egfr_tki" in facts.columns else "prior_tkis"
    columns = [
        c
        for c in (
            "study",
            "dataset",
            "interval_months",
            "interval_censored",
            tki_col,
            "first_post_regimen",
            "best_response",
        )
        if c in facts.columns
    ]
    total, rows = list_cases(
        facts, pred, dataset=dataset, columns=columns, limit=max_cases, table=table, pooled=True
    )
    if total > max_cases:
        raise EvidenceError(
            f"{total} cases are too many for a swimmer plot (one bar each; at most "
            f"{max_cases}): narrow them with --dataset or --where",
            Location(field="where"),
        )
    out: list[SwimmerCase] = []
    for r, label in zip(rows, _case_labels(rows, has_study="study" in facts.columns), strict=True):
        tki = r.get(tki_col)
        if tki and tki_col == "prior_tkis":
            tki = str(tki).split(",")[-1].strip()
        interval = r.get("interval_months")
        out.append(
            SwimmerCase(
                label=label,
                interval=None if interval is None else float(interval),
                censored=as_bool(r.get("interval_censored")) is True,
                tki=None if tki is None else str(tki),
                regimen=None
                if r.get("first_post_regimen") is None
                else str(r["first_post_regimen"]),
                response=None if r.get("best_response") is None else str(r["best_response"]),
            )
        )
    return out


_STUDY = r"^([A-Za-z' -]+?)\s+et al\.?\s*\((\d{4})\)\s*(?:,\s*(.*))?$"


def _study_parts(text: str) -> tuple[str, int, str | None] | None:
    """``Schrock et al. (2018), Case 7`` → ``("Schrock", 2018, "case 7")``; None when the text
    does not name an author and a year (``Present``)."""
    import re

    plain = re.sub(r"\s*\[\d+\]\s*$", "", text.strip())  # a trailing reference number
    m = re.match(_STUDY, plain)
    if not m:
        return None
    name, year, rest = m.group(1), m.group(2), m.group(3)
    return name, int(year), (f"{rest[0].lower()}{rest[1:]}" if rest else None)


def _short_study(text: str) -> str:
    """``Schrock et al. (2018), Case 7`` → ``Schrock 2018, case 7``; ``Present`` stays."""
    parts = _study_parts(text)
    if parts is None:
        return text.strip()
    name, year, case = parts
    return f"{name} {year}" + (f", {case}" if case else "")


def _dataset_source(dataset: str | None, row: str | None) -> str | None:
    """First author and year from a bundled dataset's description: of the study it gives for
    ``row``, or (``row`` None: the review's own case) of the dataset's own publication; None
    when the dataset is not bundled or does not say."""
    if not dataset:
        return None
    from tkiresist.errors import TkiResistError
    from tkiresist.registry.datasets import available, info

    if dataset not in available():
        return None
    try:
        meta = info(dataset)
    except TkiResistError:
        return None
    if row is not None:
        study = meta.primary_sources().get(row)
        if study is not None and study.first_author and study.year:
            return f"{study.first_author} {study.year}"
        return None
    src = meta.source
    return f"{src.first_author} {src.year}" if src.first_author and src.year else None


def _case_labels(rows: Sequence[dict[str, Any]], *, has_study: bool) -> list[str]:
    """One label per swimmer row, naming the case by its source: first author and year
    (``Cheung 2025``), with the source's own case number when it gives one (``Schrock 2018,
    case 7``); several cases of one source without such a number are told apart by their
    order in the table (``Liang 2016 #1``, ``Liang 2016 #2``).

    The review's own case (``Present`` in its table) is named after the review, from the
    bundled dataset's description. A table without a study column keeps ``Case <row>``; an
    unnamed source gives ``<dataset> row <row>``.
    """
    from tkiresist.registry.literature import PRESENT_CASE  # what a table calls its own case

    bases: list[tuple[str, str | None]] = []
    for r in rows:
        row = r.get("source_row")
        fallback = f"Case {row}" if row else str(r["case_uid"])
        if not has_study:
            bases.append((fallback, None))
            continue
        study = str(r.get("study") or "").strip()
        parts = _study_parts(study) if study else None
        if parts is not None:
            bases.append((f"{parts[0]} {parts[1]}", parts[2]))
            continue
        if " ".join(study.split()).casefold() in PRESENT_CASE:
            named = _dataset_source(r.get("dataset"), None)
        elif study:
            named = study
        else:
            named = _dataset_source(r.get("dataset"), None if row is None else str(row))
        if named is None:
            dataset = r.get("dataset")
            named = f"{dataset} row {row}" if dataset and row else fallback
        bases.append((named, None))
    counts: dict[str, int] = {}
    for base, _ in bases:
        counts[base] = counts.get(base, 0) + 1
    labels: list[str] = []
    numbered: dict[str, int] = {}
    for base, own in bases:
        if own:
            labels.append(f"{base}, {own}")
        elif counts[base] > 1:
            numbered[base] = numbered.get(base, 0) + 1
            labels.append(f"{base} #{numbered[base]}")
        else:
            labels.append(base)
    # two cases may still share a label (one study in two datasets): number them
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    again: dict[str, int] = {}
    for i, label in enumerate(labels):
        if seen[label] > 1:
            again[label] = again.get(label, 0) + 1
            labels[i] = f"{label} #{again[label]}"
    return labels


def _colours(names: Iterable[str | None]) -> dict[str, str]:
    ordered = sorted({n for n in names if n is not None})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def swimmer_figure(cases: Sequence[SwimmerCase], title: str | None = None) -> Figure:
    """The swimmer plot of ``cases`` (see the module docstring)."""
    import matplotlib as mpl
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if not cases:
        raise EvidenceError("no cases to plot", Location(field="cases"))
    ordered = sorted(cases, key=lambda c: (c.interval is None, -(c.interval or 0.0), c.label))
    tki_colours = _colours(c.tki for c in ordered)
    regimen_names = sorted({c.regimen for c in ordered if c.regimen})
    regimen_colours = {
        name: PALETTE[(i + len(tki_colours)) % len(PALETTE)] for i, name in enumerate(regimen_names)
    }
    longest = max((c.interval or 0.0) for c in ordered) or 1.0
    with mpl.rc_context(_style()):
        fig = _new_figure(max(3.0, 0.27 * len(ordered) + 1.6))
        ax = fig.add_subplot()
        gap = longest * 0.03
        for y, case in enumerate(ordered):
            if case.interval is None:
                ax.text(
                    0.0 + gap * 0.3,
                    y,
                    "interval not reported",
                    va="center",
                    ha="left",
                    fontsize=7,
                    color=GREY,
                    style="italic",
                )
                end = longest * 0.30
            else:
                colour = tki_colours.get(case.tki or "", GREY)
                ax.barh(y, case.interval, height=0.62, color=colour, edgecolor="none")
                end = case.interval
                if case.censored:
                    ax.annotate(
                        "",
                        xy=(end + gap * 1.6, y),
                        xytext=(end, y),
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.0},
                    )
                    end += gap * 1.6
            if case.regimen:
                x = end + gap
                marker = RESPONSE_MARKERS.get(case.response or "", "s")
                filled = case.response in RESPONSE_MARKERS
                colour = regimen_colours[case.regimen]
                ax.plot(
                    x,
                    y,
                    marker=marker,
                    markersize=8 if marker == "*" else 6,
                    color=colour,
                    markerfacecolor=colour if filled else "white",
                    markeredgewidth=0.9,
                    linestyle="none",
                    clip_on=False,
                )
        ax.set_yticks(range(len(ordered)), [c.label for c in ordered])
        ax.invert_yaxis()
        ax.set_ylim(len(ordered) - 0.5, -0.5)
        ax.set_xlim(0, longest * 1.12)
        ax.set_xlabel(
            "Interval from the start of the EGFR TKI at resistance to the ALK fusion (months)"
        )
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#E6E6E6", linewidth=0.6)
        ax.set_axisbelow(True)
        if title:
            ax.set_title(title, loc="left")

        tki_handles = [Patch(facecolor=c, label=name) for name, c in tki_colours.items()]
        regimen_handles = [
            Line2D([], [], marker="s", linestyle="none", color=c, markersize=6, label=name)
            for name, c in regimen_colours.items()
        ]
        shown = [r for r in RESPONSE_MARKERS if any(c.response == r for c in ordered)]
        response_handles = [
            Line2D(
                [],
                [],
                marker=RESPONSE_MARKERS[r],
                linestyle="none",
                color="#404040",
                markersize=8 if r == "CR" else 6,
                label=f"{r}, {RESPONSE_NAMES[r]}",
            )
            for r in shown
        ]
        if any(c.regimen and c.response not in RESPONSE_MARKERS for c in ordered):
            response_handles.append(
                Line2D(
                    [],
                    [],
                    marker="s",
                    linestyle="none",
                    color="#404040",
                    markerfacecolor="white",
                    markersize=6,
                    label="response not reported",
                )
            )
        if any(not c.regimen for c in ordered):
            response_handles.append(
                Line2D([], [], linestyle="none", label="no marker: no regimen reported")
            )
        if any(c.censored for c in ordered):
            response_handles.append(
                Line2D(
                    [],
                    [],
                    marker=">",
                    linestyle="-",
                    color="#404040",
                    markersize=5,
                    label="still on treatment (censored)",
                )
            )
        sections: list[tuple[str, list[Any]]] = [
            ("EGFR TKI at resistance", tki_handles),
            ("First post-resistance regimen", regimen_handles),
            ("Best response to it", response_handles),
        ]
        handles: list[Any] = []
        headers: set[int] = set()
        for header, items in sections:
            if not items:
                continue
            headers.add(len(handles))
            handles.append(Line2D([], [], linestyle="none", label=header))
            handles.extend(items)
        legend = ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            handlelength=1.2,
            borderaxespad=0.0,
        )
        for i, text in enumerate(legend.get_texts()):
            if i in headers:
                text.set_fontweight("bold")
    return fig


# ----------------------------------------------------------------------------- partners


def partner_figure(summary: EvidenceSummary) -> Figure:
    """Fusions by 5′ partner (A) and cases with EML4 as the only partner against the de novo
    reference (B)."""
    import matplotlib as mpl
    from matplotlib.ticker import MaxNLocator

    fusions = [
        s
        for s in summary.group("ALK fusion partner")
        if s.id.startswith("partner_") and s.id.endswith("_fusion_count")
    ]
    if not fusions:
        raise EvidenceError("no ALK fusion partners in the summary", Location(field="dataset"))
    fusions.sort(key=lambda s: (-(s.numerator or 0), s.id))
    total = fusions[0].denominator or 0
    n_cases = summary.get("eml4_partner_share").denominator or 0
    double = summary.get("double_fusion_count").numerator or 0
    with mpl.rc_context(_style()):
        fig = _new_figure(2.8)
        left, right = fig.subplots(1, 2, width_ratios=(1.0, 1.15))
        names = [_partner_name(s) for s in fusions]
        counts = [s.numerator or 0 for s in fusions]
        colours = [PALETTE[0] if n == "EML4" else PALETTE[1] for n in names]
        bars = left.barh(range(len(names)), counts, color=colours, height=0.65)
        left.set_yticks(range(len(names)), [f"{n}::ALK" for n in names])
        left.set_ylim(len(names) - 0.5, -0.5)
        for bar, count in zip(bars, counts, strict=True):
            left.text(
                bar.get_width() + max(counts) * 0.02,
                bar.get_y() + bar.get_height() / 2,
                f"{count}/{total}",
                va="center",
                fontsize=7.5,
            )
        left.set_xlim(0, max(counts) * 1.25)
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        note = f"ALK fusions (n): {total} in {n_cases} cases"
        if double:
            note += f", {double} with two"
        left.set_xlabel(note)
        left.set_title("A  ALK fusions by 5′ partner", loc="left")
        left.tick_params(axis="y", length=0)

        rows = [
            ("EML4 only", summary.get("eml4_partner_share"), PALETTE[0]),
            ("Any uncommon partner", summary.get("uncommon_partner_share"), PALETTE[1]),
        ]
        _forest(right, rows)
        test = summary.eml4_test
        xlabel = "Cases (%), with exact 95% CI"
        if test is not None:
            right.axvline(100 * test.p0, color=GREY, linestyle="--", linewidth=0.9)
            right.text(
                100 * test.p0 - 1.5,
                len(rows) - 0.55,
                f"de novo ALK+ NSCLC:\nEML4 >{100 * test.p0:.0f}%",
                ha="right",
                va="bottom",
                fontsize=7,
                color="#505050",
            )
            xlabel += f"\nEML4 only vs {100 * test.p0:.0f}%: exact one-sided p = {test.p_value:.2g}"
        right.set_xlabel(xlabel)
        right.set_title("B  Cases by partner class", loc="left")
    return fig


def _partner_name(stat: Statistic) -> str:
    return stat.id.removeprefix("partner_").removesuffix("_fusion_count").upper()


def _forest(ax: Any, rows: Sequence[tuple[str, Statistic, str]]) -> None:
    """Point estimates with exact 95% CIs, one row each, and a text column on the right
    (``k/n``, percent, interval), as in a forest plot."""
    for y, (_, stat, colour) in enumerate(rows):
        pct = stat.percent
        if pct is None or stat.ci is None or stat.ci.exact is None:
            text = f"{stat.numerator}/{stat.denominator}   no estimate"
        else:
            low, high = (100 * v for v in stat.ci.exact)
            ax.plot([low, high], [y, y], color=colour, linewidth=1.6, solid_capstyle="butt")
            for end in (low, high):
                ax.plot([end, end], [y - 0.13, y + 0.13], color=colour, linewidth=1.2)
            ax.plot(pct, y, marker="o", color=colour, markersize=6, zorder=3, clip_on=False)
            text = f"{stat.numerator}/{stat.denominator}   {pct:.1f}% ({low:.1f}–{high:.1f})"
        ax.text(
            1.03,
            y,
            text,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize=7.5,
        )
    ax.text(
        1.03,
        -0.75,
        "n/N   % (95% CI)",
        transform=ax.get_yaxis_transform(),
        ha="left",
        va="bottom",
        fontsize=7.5,
        fontweight="bold",
    )
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.6)
    ax.set_xlim(0, 100)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#E6E6E6", linewidth=0.6)
    ax.set_axisbelow(True)


# ----------------------------------------------------------------------------- ORR


def orr_figure(summary: EvidenceSummary) -> Figure:
    """ORR by first post-resistance regimen, and pooled for combination EGFR + ALK TKI."""
    import matplotlib as mpl

    per_regimen = [
        s for s in summary.group("Response by regimen") if s.id.endswith("_orr") and s.denominator
    ]
    per_regimen.sort(key=lambda s: (-(s.denominator or 0), s.id))
    pooled = summary.get("combination_orr")
    rows: list[tuple[str, Statistic, str]] = [
        (_regimen_name(s), s, PALETTE[0]) for s in per_regimen
    ]
    if pooled.denominator:
        rows.append(("Combination EGFR + ALK TKI, pooled", pooled, PALETTE[5]))
    if not rows:
        raise EvidenceError(
            "no case has a best response to a post-resistance regimen", Location(field="dataset")
        )
    with mpl.rc_context(_style()):
        fig = _new_figure(max(2.0, 0.36 * len(rows) + 1.3))
        ax = fig.add_subplot()
        _forest(ax, rows)
        for tick, (_, _, colour) in zip(ax.get_yticklabels(), rows, strict=True):
            if colour == PALETTE[5]:
                tick.set_fontweight("bold")
        if pooled.denominator and len(rows) > 1:
            ax.axhline(len(rows) - 1.5, color="#BDBDBD", linewidth=0.7)
        ax.set_xlabel(
            "Objective response rate, CR + PR (%), with exact 95% CI\n"
            "cases with a best response reported; pooled: first regimen with an EGFR TKI "
            "and an ALK TKI"
        )
        ax.set_title("Response to the first post-resistance regimen", loc="left")
    return fig


def _regimen_name(stat: Statistic) -> str:
    from tkiresist.evidence.catalogue import drugs_from_slug

    slug = stat.id.removeprefix("regimen_").removesuffix("_orr")
    drugs = drugs_from_slug(slug)
    text = " + ".join(drugs) if drugs else slug.replace("_", " + ")
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------------------- writing


def save(fig: Figure, path_stem: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as ``<stem>.<format>`` for each format; return the paths."""
    out: list[Path] = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise EvidenceError(
                f"unknown figure format {fmt!r}; formats are: {', '.join(FORMATS)}",
                Location(field="format"),
            )
        path = path_stem.with_suffix(f".{fmt}")
        fig.savefig(path, dpi=300, format=fmt, metadata=_metadata(fmt))
        out.append(path)
    return out


def _metadata(fmt: str) -> dict[str, Any]:
    # reproducible files: no creation date
    if fmt == "svg":
        return {"Date": None}
    return {"Software": "tkiresist"}


def write_figures(
    source: object,
    out_dir: str | Path,
    *,
    dataset: str | None = None,
    where: str | None = None,
    formats: Sequence[str] = FORMATS,
    table: str = FACTS_TABLE,
) -> list[Path]:
    """Summarise ``source`` and write the three figures into ``out_dir`` (created)."""
    from tkiresist.evidence.summary import summarize

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvidenceError(f"cannot create the output folder: {exc}", Location(str(out))) from None
    summary = summarize(source, dataset=dataset, where=where, table=table)
    cases = swimmer_cases(source, dataset=dataset, where=where, table=table)
    scope = dataset or "all datasets"
    paths: list[Path] = []
    paths += save(
        swimmer_figure(cases, title=f"Time to ALK-fusion resistance ({scope}, {len(cases)} cases)"),
        out / "swimmer",
        formats,
    )
    paths += save(partner_figure(summary), out / "partners", formats)
    paths += save(orr_figure(summary), out / "orr_by_regimen", formats)
    return paths
