"""The SQL fast paths agree with the grammar: for every string they rewrite, the parser gives
the same canonical text; everything else is left to the parser. And the category-gene shortcut
holds: a variant in a gene no category names has no category."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from tkiresist.annotate import keys
from tkiresist.errors import ParseError
from tkiresist.model.alterations import CopyNumber, Fusion, ProteinChange, SequenceVariant
from tkiresist.model.categories import categorize, gene_level_categories
from tkiresist.nomenclature.variants import format_protein_change, parse_cdna, parse_protein_change

RESIDUES = "ACDEFGHIKLMNPQRSTVWYUXBJOZ*"
THREE = ["Leu", "Arg", "Ter", "Xaa", "Gly"]

residue = st.one_of(st.sampled_from(list(RESIDUES)), st.sampled_from(THREE))
position = st.one_of(
    st.integers(min_value=0, max_value=2_000_000).map(str),
    st.sampled_from(["01", "007", ""]),
)
tail = st.sampled_from(
    ["", "fs", "fs*5", "fs*?", "fs*0", "fs*", "fsTer5", "fs*12", "=", "?", "_splice", "del",
     "dup", "ext*5", " ", "fs*5 "]
)  # fmt: skip
near_miss = st.builds(
    lambda prefix, r1, pos, r2, t: f"{prefix}{r1}{pos}{r2}{t}",
    st.sampled_from(["p.", "p.", "p.", "", "P.", "p.(", " p."]),
    residue,
    position,
    st.one_of(st.just(""), residue),
    tail,
)
protein_text = st.one_of(
    st.from_regex(keys.PROTEIN_SUBSTITUTION, fullmatch=True),
    st.from_regex(keys.PROTEIN_FRAMESHIFT, fullmatch=True),
    near_miss,
)
cdna_text = st.one_of(
    st.from_regex(keys.CDNA_SUBSTITUTION, fullmatch=True),
    st.builds(
        lambda acc, body: acc + body,
        st.sampled_from(["", "ENST00000275493.2:", "NM_005228.5:", "NM_005228:", "XX:"]),
        st.from_regex(keys.CDNA_SUBSTITUTION, fullmatch=True),
    ),
    st.builds(
        lambda pos, ref, alt, extra: f"c.{pos}{ref}>{alt}{extra}",
        position,
        st.sampled_from(list("ACGTN")),
        st.sampled_from(list("ACGTN")),
        st.sampled_from(["", "del", " ", "+1"]),
    ),
)


def _parse(text: str) -> ProteinChange | None:
    try:
        return parse_protein_change(text)
    except ParseError:
        return None


def _sql(column_sql: str, texts: list[str]) -> list[str | None]:
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT {column_sql} FROM (SELECT unnest($t::VARCHAR[]) AS x, "
        "unnest(range(len($t))) AS i) ORDER BY i",
        {"t": texts},
    ).fetchall()
    con.close()
    return [r[0] for r in rows]


@settings(max_examples=300)
@given(protein_text)
def test_python_fast_path_builds_what_the_parser_builds(text: str) -> None:
    fast = keys.fast_protein_change(text)
    if fast is not None:
        assert _parse(text) == fast


@settings(max_examples=25, deadline=None)
@given(st.lists(protein_text, min_size=1, max_size=40))
def test_sql_protein_fast_path_agrees_with_the_parser(texts: list[str]) -> None:
    for text, canon in zip(texts, _sql(keys.sql_protein_canonical("x"), texts), strict=True):
        fast = keys.fast_protein_change(text)
        # SQL and Python take the same strings...
        assert (canon is None) == (fast is None), text
        if canon is not None:
            # ...and give what the grammar gives.
            parsed = _parse(text)
            assert parsed is not None, text
            assert format_protein_change(parsed) == canon


@settings(max_examples=25, deadline=None)
@given(st.lists(cdna_text, min_size=1, max_size=40))
def test_sql_cdna_fast_path_agrees_with_the_parser(texts: list[str]) -> None:
    expr = keys.sql_cdna_canonical(keys.sql_cdna_strip("x"))
    for text, canon in zip(texts, _sql(expr, texts), strict=True):
        if canon is not None:
            assert parse_cdna(keys.cdna(text).text or text) == canon
            assert keys.cdna(text).text == canon


def test_fast_paths_on_known_strings() -> None:
    texts = ["p.L858R", "p.R123*", "p.N139Qfs*5", "p.E12fs", "p.L747_S752delinsQ",
             "p.X210_splice", "p.S406=", "p.Leu858Arg", "p.A12A", None]  # fmt: skip
    con = duckdb.connect()
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {keys.sql_protein_canonical('x')} FROM (SELECT unnest($t::VARCHAR[]) AS x,"
            " unnest(range(len($t))) AS i) ORDER BY i",
            {"t": texts},
        ).fetchall()
    ]
    assert got == ["p.L858R", "p.R123*", "p.N139fs", "p.E12fs", None, None, None, None, None,
                   None]  # fmt: skip


gene_outside = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=8)
changes = st.one_of(
    st.from_regex(keys.PROTEIN_SUBSTITUTION, fullmatch=True),
    st.from_regex(keys.PROTEIN_FRAMESHIFT, fullmatch=True),
    st.sampled_from(["p.E746_A750del", "p.D770_N771insSVD", "p.L747_S752delinsQ",
                     "p.A767_V769dup", "p.M1ext*5"]),
).map(_parse).filter(lambda p: p is not None)  # fmt: skip


@settings(max_examples=300)
@given(gene_outside, changes, gene_outside, st.sampled_from(["amplification", "deletion"]))
def test_genes_no_category_names_have_no_category(
    gene: str, change: ProteinChange | None, other: str, cn: str
) -> None:
    if gene in keys.CATEGORY_GENES or other in keys.CATEGORY_GENES or gene == other:
        return
    assert change is not None
    assert categorize(SequenceVariant(gene=gene, protein=change)) == frozenset()
    assert categorize(Fusion(five_prime=other, three_prime=gene)) == frozenset()
    assert categorize(CopyNumber(gene=gene, change=cn)) == frozenset()


GENE_LEVEL = ["TP53", "RB1", "NRAS", "PIK3CA", "ERBB2"]


@settings(max_examples=200)
@given(st.sampled_from(GENE_LEVEL), st.lists(protein_text, min_size=1, max_size=30))
def test_gene_level_shortcut_gives_what_the_values_give(gene: str, texts: list[str]) -> None:
    """The engine names a readable change of a gene-level gene ``gene + ' ' + canon`` and
    gives it the gene's categories, without building a value: the value agrees."""
    level = gene_level_categories(gene)
    assert level is not None
    for text, canon in zip(texts, _sql(keys.sql_protein_canonical("x"), texts), strict=True):
        read = canon or keys.protein(text).text
        if read is None:
            continue
        ann = keys.category_variant(gene, text, None)
        assert ann.alteration == f"{gene} {read}"
        assert ann.categories == ",".join(sorted(level))


def test_gene_level_genes_are_the_ones_whose_categories_never_vary() -> None:
    assert gene_level_categories("EGFR") is None
    assert gene_level_categories("KRAS") is None  # G12C has its own category
    assert gene_level_categories("BRAF") is None
    assert gene_level_categories("NOTAGENE") is None
    tp53 = gene_level_categories("TP53")
    assert tp53 is not None and "tp53_alteration" in tp53
    for gene in GENE_LEVEL:
        cats = gene_level_categories(gene)
        for change in ("p.R273H", "p.E746_A750del", "p.N139fs", "p.X125_splice"):
            p = _parse(change)
            if p is not None:
                assert categorize(SequenceVariant(gene=gene, protein=p)) == cats
