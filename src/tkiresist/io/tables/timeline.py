"""cBioPortal timeline files into DuckDB tables: one loader, one set of checks.

:func:`load_timelines` reads every timeline file (:func:`timeline_header`: the header starts
with :data:`~tkiresist.io.cbioportal.TIMELINE_LEAD`) with the shared ``read_csv`` builder into
a raw table per file (``tl_raw_0``, ``tl_raw_1``, ...: every column as text, kept for the
caller's own reads such as cohort's lab tests and progressions), checks it, and fills two
normalised tables:

* ``tl_treat`` (patient_id, start_day, stop_day, agent, agent_class, treatment_type, line_no,
  f, r): the TREATMENT rows that name an agent (an AGENT cell that is not one of the
  :data:`~tkiresist.io.base.MISSING` markers), radiation left out
  (:func:`~tkiresist.io.cbioportal.radiation_sql`);
* ``tl_specimen`` (sample_id, patient_id, day, specimen_type, f, r): the SPECIMEN, SAMPLE
  ACQUISITION and SEQUENCING rows that name a sample.

``f`` is the file's index in ``headers``, ``r`` the row's index in its file. The checks, each
located at file, line and column (up to :data:`MAX_PROBLEMS` returned together): a START_DATE
that is not whole days, a STOP_DATE that is neither whole days nor blank, a STOP_DATE before
its START_DATE, and a sample given two patients. :func:`agents_before_sample` is the view
``annotate --timeline`` reads prior therapy from; :func:`line_in_effect` is the view ``cohort``
reads the line a progression sample progressed on from (with :func:`line_key` naming that line's
rows). Both count a treatment as prior when it :func:`started_before` the sample's day.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tkiresist.errors import FormatError, Location, ManyProblems, Problem
from tkiresist.io.base import MISSING
from tkiresist.io.tables.read import (
    MAX_PROBLEMS,
    TableHeader,
    ident,
    line_of,
    lit,
    load_table,
    offenders,
    read_header,
    require,
)

if TYPE_CHECKING:
    import duckdb


class TimelineError(ManyProblems, FormatError):
    """Timeline files break the cBioPortal format; carries every located problem found."""

    code = "timeline_invalid"
    what = "invalid timeline"


def timeline_header(path: Path, *, line_floor: int | None = None) -> TableHeader:
    """A cBioPortal timeline file's header: ``PATIENT_ID``, ``START_DATE``, ``STOP_DATE``,
    ``EVENT_TYPE`` first, in this order (cBioPortal's rule), then ``AGENT`` for treatments and
    ``SAMPLE_ID`` for specimens."""
    from tkiresist.io.cbioportal import TIMELINE_LEAD

    if line_floor is None:
        header = read_header(path, "timeline", what="timeline")
    else:
        header = read_header(path, "timeline", what="timeline", line_floor=line_floor)
    require(header, TIMELINE_LEAD, "timeline")
    if header.columns[:4] != TIMELINE_LEAD:
        raise FormatError(
            "a timeline file starts with the columns " + ", ".join(TIMELINE_LEAD),
            Location(file=header.file, line=header.header_line, column=1),
        )
    return header


def raw_table(i: int) -> str:
    """The raw table of the ``i``-th timeline file (every column as text)."""
    return f"tl_raw_{i}"


def _col(header: TableHeader, name: str, default: str = "NULL") -> str:
    return ident(name) if header.has(name) else default


def _check_days(con: duckdb.DuckDBPyConnection, header: TableHeader, table: str) -> list[Problem]:
    start, stop = 'trim("START_DATE")', "trim(coalesce(\"STOP_DATE\", ''))"
    return [
        *offenders(
            con,
            f'SELECT "START_DATE" FROM {table} WHERE TRY_CAST({start} AS INTEGER) IS NULL',
            header,
            "START_DATE",
            "START_DATE: expected whole days from diagnosis, found {0!r}",
        ),
        *offenders(
            con,
            f'SELECT "STOP_DATE" FROM {table} '
            f"WHERE {stop} <> '' AND TRY_CAST({stop} AS INTEGER) IS NULL",
            header,
            "STOP_DATE",
            "STOP_DATE: expected whole days from diagnosis or blank, found {0!r}",
        ),
        *offenders(
            con,
            f'SELECT "STOP_DATE", "START_DATE", "PATIENT_ID" FROM {table} '
            f"WHERE TRY_CAST({stop} AS INTEGER) < TRY_CAST({start} AS INTEGER)",
            header,
            "STOP_DATE",
            "STOP_DATE {0} is before START_DATE {1} (patient {2!r})",
            extra=("START_DATE", "PATIENT_ID"),
        ),
    ]


def _insert_rows(con: duckdb.DuckDBPyConnection, header: TableHeader, table: str, i: int) -> None:
    from tkiresist.io.cbioportal import SPECIMEN_EVENTS, radiation_sql

    etype = 'upper(trim("EVENT_TYPE"))'
    if header.has("AGENT"):
        klass = _col(header, "AGENT_CLASS")
        ttype = _col(header, "TREATMENT_TYPE")
        line_no = 'TRY_CAST(trim("LINE") AS INTEGER)' if header.has("LINE") else "NULL"
        missing = ", ".join(lit(m) for m in sorted(MISSING))
        con.execute(
            f"""
            INSERT INTO tl_treat
            SELECT trim("PATIENT_ID"), CAST(trim("START_DATE") AS INTEGER),
                   TRY_CAST(trim("STOP_DATE") AS INTEGER), trim("AGENT"),
                   trim(coalesce({klass}, '')), {ttype}, {line_no}, {i}, rowid
            FROM {table}
            WHERE {etype} = 'TREATMENT' AND trim(coalesce("AGENT", '')) NOT IN ({missing})
              AND NOT {radiation_sql(ttype, klass)}
            """
        )
    if header.has("SAMPLE_ID"):
        kinds = ", ".join(lit(k) for k in SPECIMEN_EVENTS)
        stype = (
            "lower(trim(coalesce(\"SPECIMEN_TYPE\", '')))" if header.has("SPECIMEN_TYPE") else "''"
        )
        con.execute(
            f"""
            INSERT INTO tl_specimen
            SELECT trim("SAMPLE_ID"), trim("PATIENT_ID"), CAST(trim("START_DATE") AS INTEGER),
                   {stype}, {i}, rowid
            FROM {table}
            WHERE {etype} IN ({kinds}) AND trim(coalesce("SAMPLE_ID", '')) <> ''
            """
        )


def _two_patients(con: duckdb.DuckDBPyConnection, headers: Sequence[TableHeader]) -> list[Problem]:
    """A sample whose specimen rows name two patients, located at the first row of the
    second patient named."""
    rows = con.execute(
        f"""
        WITH g AS (
          SELECT sample_id, patient_id, min(f::BIGINT * 4294967296 + r) AS fr
          FROM tl_specimen GROUP BY sample_id, patient_id)
        SELECT sample_id, list(patient_id ORDER BY fr) AS ps, list(fr ORDER BY fr) AS frs
        FROM g GROUP BY sample_id HAVING count(*) > 1 ORDER BY sample_id LIMIT {MAX_PROBLEMS}
        """
    ).fetchall()
    problems: list[Problem] = []
    for sample, patients, firsts in rows:
        header = headers[int(firsts[1]) // 4294967296]
        line = line_of(header, {"SAMPLE_ID": sample, "PATIENT_ID": patients[1]})
        problems.append(
            Problem(
                f"sample {sample!r} is given two patients in the timelines "
                f"({patients[0]!r} and {patients[1]!r})",
                header.loc(line, "PATIENT_ID"),
            )
        )
    return problems


def load_timelines(con: duckdb.DuckDBPyConnection, headers: Sequence[TableHeader]) -> list[Problem]:
    """Read every timeline file into ``tl_raw_<i>``, ``tl_treat`` and ``tl_specimen`` (temp
    tables) and return the located problems found (none: the tables are complete). A file
    with a problem adds no rows. DuckDB's CSV errors are raised at once, located."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_treat (patient_id VARCHAR, start_day INTEGER, "
        "stop_day INTEGER, agent VARCHAR, agent_class VARCHAR, treatment_type VARCHAR, "
        "line_no INTEGER, f INTEGER, r BIGINT)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_specimen (sample_id VARCHAR, patient_id VARCHAR, "
        "day INTEGER, specimen_type VARCHAR, f INTEGER, r BIGINT)"
    )
    problems: list[Problem] = []
    for i, header in enumerate(headers):
        table = raw_table(i)
        load_table(con, table, header, "timeline")
        found = _check_days(con, header, table)
        if not found:
            _insert_rows(con, header, table, i)
        problems += found
    if not problems:
        problems += _two_patients(con, headers)
    return problems[:MAX_PROBLEMS]


def drop_raw(con: duckdb.DuckDBPyConnection, headers: Sequence[TableHeader]) -> None:
    for i in range(len(headers)):
        con.execute(f"DROP TABLE IF EXISTS {raw_table(i)}")


def started_before(t: str, day: str) -> str:
    """SQL condition: treatment row ``t`` started before ``day``, strictly (a line begun on the
    day a sample was taken had not yet acted on it). Both views below read prior therapy so."""
    return f"{t}.start_day < {day}"


def not_stopped(t: str, day: str, max_gap_days: int) -> str:
    """SQL condition: treatment row ``t`` had not stopped more than ``max_gap_days`` before
    ``day`` (a blank STOP_DATE: still given)."""
    return f"({t}.stop_day IS NULL OR {t}.stop_day >= {day} - {int(max_gap_days)})"


def line_key(t: str) -> str:
    """SQL: the order of treatment row ``t``'s line: its START_DATE, then its LINE number
    (none given: -1). Among lines in effect the greatest key is *the* line; the rows sharing
    that key are its agents (chemotherapy given with the TKI among them)."""
    return f"({t}.start_day, coalesce({t}.line_no, -1))"


def line_in_effect(
    samples: str,
    treatments: str,
    *,
    max_gap_days: int,
    treatment_if: str = "TRUE",
    sample_if: str = "TRUE",
) -> str:
    """SQL ``(patient_id, sample_id, day, start_day, pick)``: per sample of table ``samples``
    (patient_id, sample_id, day) that has one, the line in effect at its day. Of the rows of
    ``treatments`` (patient_id, start_day, stop_day, line_no; e.g. ``tl_treat``) meeting
    ``treatment_if`` (over alias ``t``) that :func:`started_before` the sample and had
    :func:`not_stopped` more than ``max_gap_days`` before it, the one of greatest
    :func:`line_key` (``pick``; ``start_day`` is the line's start). ``sample_if`` (over alias
    ``s``) chooses the samples; a sample with no such row has no row."""
    t = "t"
    key = line_key(t)
    return f"""
SELECT s.patient_id, s.sample_id, s.day, arg_max(t.start_day, {key}) AS start_day,
       max({key}) AS pick
FROM {samples} s JOIN {treatments} t
  ON t.patient_id = s.patient_id AND ({treatment_if}) AND {started_before(t, "s.day")}
 AND {not_stopped(t, "s.day", max_gap_days)}
WHERE s.day IS NOT NULL AND ({sample_if})
GROUP BY s.patient_id, s.sample_id, s.day
"""


AGENTS_BEFORE_SAMPLE: Final = """
    WITH sp AS (
      SELECT sample_id AS s, patient_id AS p, min(day) AS day
      FROM tl_specimen GROUP BY sample_id, patient_id),
    before AS (
      SELECT sp.s, t.agent AS a, t.agent IN (SELECT a FROM {known}) AS ok
      FROM sp JOIN tl_treat t ON t.patient_id = sp.p AND {before}),
    agg AS (
      SELECT s, count(*) FILTER (WHERE ok) AS n_ok,
             string_agg(DISTINCT a, ', ' ORDER BY a) FILTER (WHERE ok) AS txt
      FROM before GROUP BY s)
    SELECT sp.s, CASE WHEN g.s IS NULL THEN 'none' ELSE g.txt END AS therapy
    FROM sp LEFT JOIN agg g USING (s)
    WHERE sp.p IN (SELECT patient_id FROM tl_treat) AND (g.s IS NULL OR g.n_ok > 0)
"""


def agents_before_sample(known: str) -> str:
    """SQL ``(s, therapy)``: each timeline sample's agents that started before its day (the
    earliest START_DATE of its specimen rows), those in table ``known`` (column ``a``) joined
    into one text (``erlotinib, osimertinib``); ``none`` when its patient has treatments but
    none started before; no row when the patient has no treatment, or when every agent before
    the sample is unknown."""
    return AGENTS_BEFORE_SAMPLE.format(known=known, before=started_before("t", "sp.day"))
