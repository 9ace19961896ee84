"""The readers' bridge to the nomenclature layer (parsing kept apart from meaning).

Readers turn cells into values through the two functions here, never with ad-hoc splitting:

* :func:`protein_change` for HGVS ``p.`` text as callers write it (``p.L858R``,
  ``p.Leu858Arg``, ``p.L747_S752delinsQ``, ``p.N139Qfs*5``);
* :func:`split_fusion` for fusion names in tables (``EML4::ALK``, ``TMPRSS2-ERG fusion``,
  ``NKX2-1--ALK``).

Both prefer :mod:`tkiresist.nomenclature.variants` / :mod:`tkiresist.nomenclature.fusions`
when those modules provide ``parse_protein_change`` / ``parse_fusions``; until they do, the
small grammar below is used. It is the one place to switch.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import AMINO_ACIDS_3, EditKind, ProteinChange
from tkiresist.nomenclature.genes import hyphenated_symbols, is_known

_AA3 = {k.upper(): v for k, v in AMINO_ACIDS_3.items()}
_AA = r"(?:[A-Z][a-z]{2}|[A-Z*])"
_P = re.compile(
    rf"""^(?P<r1>{_AA})(?P<p1>\d+)
        (?:_(?P<r2>{_AA})(?P<p2>\d+))?
        (?P<edit>delins|del|ins|dup|fs|ext|=|\?|(?={_AA}))
        (?P<rest>.*)$""",
    re.X,
)


@cache
def _external(module: str, name: str) -> Callable[..., Any] | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError:
        return None
    fn = getattr(mod, name, None)
    return cast(Callable[..., Any], fn) if callable(fn) else None


def _one(residue: str, text: str, location: Location | None) -> str:
    if len(residue) == 1:
        return residue
    one = _AA3.get(residue.upper())
    if one is None:
        raise ParseError("protein change", text, None, f"an amino acid, not {residue!r}", location)
    return one


def _residues(seq: str, text: str, location: Location | None) -> str:
    """``SerValAsp`` or ``SVD`` (or ``Ter``/``*``) to one-letter residues."""
    if re.fullmatch(r"[A-Z*]+", seq):
        return seq
    if re.fullmatch(r"(?:[A-Z][a-z]{2})+", seq):
        return "".join(_one(seq[i : i + 3], text, location) for i in range(0, len(seq), 3))
    raise ParseError("protein change", text, None, "inserted residues such as SVD", location)


def _local_protein_change(text: str, location: Location | None) -> ProteinChange:
    raw = text.strip()
    body = raw[2:] if raw.startswith("p.") else raw
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    m = _P.match(body)
    if m is None:
        raise ParseError(
            "protein change", text, 0, "HGVS p. such as L858R or E746_A750del", location
        )
    edit = m["edit"]
    rest = m["rest"]
    r1 = _one(m["r1"], text, location)
    start = int(m["p1"])
    r2 = _one(m["r2"], text, location) if m["r2"] else None
    end = int(m["p2"]) if m["p2"] else None
    if edit in ("=", "?"):
        what = "a synonymous change" if edit == "=" else "an unknown consequence"
        raise ParseError("protein change", text, None, f"a protein change, not {what}", location)
    kind: str
    alt: str | None = None
    if edit == "":
        # substitution, or a frameshift written with the new residue (N139Qfs*5)
        fs = re.fullmatch(rf"({_AA})fs(?:\*|Ter)?\d*", rest)
        if fs:
            kind = "frameshift"
        else:
            kind = "substitution"
            alt = _residues(rest, text, location)
            if len(alt) != 1:
                raise ParseError(
                    "protein change", text, None, "one new residue in a substitution", location
                )
    elif edit == "fs":
        kind = "frameshift"
    elif edit == "ext":
        kind = "extension"
    elif edit == "delins":
        kind = "delins"
        alt = _residues(rest, text, location)
    elif edit == "ins":
        kind = "insertion"
        alt = _residues(rest, text, location)
    elif edit == "del":
        kind = "deletion"
        if rest and not re.fullmatch(r"[A-Z]+|(?:[A-Z][a-z]{2})+|\d+", rest):
            raise ParseError("protein change", text, None, "nothing after 'del'", location)
    else:
        kind = "duplication"
    if kind in ("frameshift", "extension"):
        r2 = end = None
    try:
        return ProteinChange(
            ref_start=r1, start=start, ref_end=r2, end=end, edit=cast(EditKind, kind), alt=alt
        )
    except ValueError as exc:
        raise ParseError(
            "protein change", text, None, str(exc).splitlines()[-1], location
        ) from None


def protein_change(text: str, location: Location | None = None) -> ProteinChange:
    """Parse HGVS ``p.`` text into a ProteinChange; ParseError names what was expected."""
    external = _external("tkiresist.nomenclature.variants", "parse_protein_change")
    if external is not None:
        try:
            value = external(text)
        except ParseError as exc:
            raise ParseError(exc.what, exc.text, exc.position, exc.expected, location) from None
        return cast(ProteinChange, value)
    return _local_protein_change(text, location)


# --------------------------------------------------------------------------------------------
# Fusion names in tables
# --------------------------------------------------------------------------------------------

THREE_PRIME_KINASES = frozenset(
    {"ALK", "ROS1", "RET", "NTRK1", "NTRK2", "NTRK3", "BRAF", "RAF1", "MET", "NRG1"}
)
"""Genes that keep their 3' role in oncogenic fusions (used only when a table gives no order)."""


@dataclass(frozen=True, slots=True)
class FusionName:
    """Two gene symbols as written, in the written order, and whether the text said 'fusion'."""

    first: str
    second: str


_SUFFIX = re.compile(r"\s+(fusion|rearrangement|translocation)s?$", re.I)


def split_fusion(text: str, location: Location | None = None) -> FusionName:
    """Split ``EML4::ALK``, ``EML4-ALK fusion``, ``NKX2-1--ALK`` into two symbols.

    Separators ``::``, ``--``, ``/``, ``_`` and ``-``; a single hyphen splits only where both
    sides are known symbols, so hyphenated HGNC symbols (``NKX2-1``) stay whole. Anything else
    raises ParseError.
    """
    body = _SUFFIX.sub("", text.strip())
    for sep in ("::", "--", "/"):
        if sep in body:
            parts = body.split(sep)
            if len(parts) == 2 and all(p.strip() for p in parts):
                return FusionName(parts[0].strip(), parts[1].strip())
            raise ParseError("fusion", text, None, "two genes joined by one separator", location)
    candidates: list[FusionName] = []
    for sep in ("-", "_"):
        pieces = body.split(sep)
        for i in range(1, len(pieces)):
            left, right = sep.join(pieces[:i]), sep.join(pieces[i:])
            if left and right and _symbolish(left) and _symbolish(right):
                candidates.append(FusionName(left, right))
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        hyphenated = hyphenated_symbols()
        whole = [c for c in candidates if c.first in hyphenated or c.second in hyphenated]
        if len(whole) == 1:
            return whole[0]
        raise ParseError(
            "fusion", text, None, "one way to split it into two genes, found several", location
        )
    raise ParseError(
        "fusion", text, None, "two gene symbols joined by '::', '--', '-', '/' or '_'", location
    )


def _symbolish(text: str) -> bool:
    return is_known(text) and " " not in text
