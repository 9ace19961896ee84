"""Helpers for the curation assistant's tests: synthetic sentences as Sentence values."""

from __future__ import annotations

from tkiresist.curate.text import Document, Sentence


def sentences(text: str) -> list[Sentence]:
    """The narrative sentences of a synthetic text (no headings: read whole)."""
    return Document(text).narrative


def sentence(text: str) -> Sentence:
    (s,) = sentences(text)
    return s
