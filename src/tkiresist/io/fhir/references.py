"""Reference resolution inside a Bundle, with located errors.

A reference resolves when it names an entry's ``fullUrl``, or ``Type/id`` of an entry's
resource (relative, or absolute ending in ``/Type/id``), or ``#id`` of a contained resource.
Logical references (an ``identifier`` and no ``reference``) are not resolved here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tkiresist.errors import FormatError, Location

_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    full_url: str | None
    resource: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType", ""))

    @property
    def field(self) -> str:
        return f"entry[{self.index}].resource"


class BundleIndex:
    """The entries of a Bundle, addressable by fullUrl and by ``Type/id``."""

    def __init__(self, bundle: Any, file: str | None = None) -> None:
        self.file = file
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            got = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle)
            raise FormatError(
                f"expected a FHIR Bundle (resourceType 'Bundle'), got {got!r}",
                Location(file=file, field="resourceType"),
            )
        raw = bundle.get("entry", [])
        if not isinstance(raw, list):
            raise FormatError("Bundle.entry must be a list", Location(file=file, field="entry"))
        self.entries: list[Entry] = []
        self._by_key: dict[str, Entry] = {}
        for i, item in enumerate(raw):
            resource = item.get("resource") if isinstance(item, dict) else None
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                raise FormatError(
                    "entry has no resource with a resourceType",
                    Location(file=file, field=f"entry[{i}]"),
                )
            full_url = item.get("fullUrl")
            entry = Entry(i, full_url if isinstance(full_url, str) else None, resource)
            self.entries.append(entry)
            if entry.full_url:
                self._by_key.setdefault(entry.full_url, entry)
                m = _TYPE_ID.search(entry.full_url)
                if m:
                    self._by_key.setdefault(f"{m[1]}/{m[2]}", entry)
            rid = resource.get("id")
            if isinstance(rid, str):
                self._by_key.setdefault(f"{entry.type}/{rid}", entry)

    def resolve(self, reference: str) -> Entry | None:
        if reference in self._by_key:
            return self._by_key[reference]
        m = _TYPE_ID.search(reference)
        if m:
            return self._by_key.get(f"{m[1]}/{m[2]}")
        return None

    def target(self, ref: Any, entry: Entry, path: str) -> Entry | None:
        """The entry a Reference element points to (None when it has no ``reference``)."""
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            return None
        found = self.resolve(ref["reference"])
        if found is None:
            raise self.unresolved(entry, path, ref["reference"])
        return found

    def unresolved(self, entry: Entry, path: str, reference: str) -> FormatError:
        return FormatError(
            f"unresolved reference {reference!r}: no entry of the Bundle has this fullUrl "
            f"or Type/id (entry {entry.index}, {entry.type})",
            Location(file=self.file, field=f"{entry.field}.{path}" if path else entry.field),
        )

    def check_references(self) -> None:
        """Raise a located FormatError for the first reference that does not resolve."""
        for entry in self.entries:
            contained = {
                f"#{c.get('id')}"
                for c in entry.resource.get("contained", ())
                if isinstance(c, dict) and c.get("id")
            }
            for path, reference in _references(entry.resource, ""):
                if reference.startswith("#"):
                    if reference != "#" and reference not in contained:
                        raise self.unresolved(entry, path, reference)
                elif self.resolve(reference) is None:
                    raise self.unresolved(entry, path, reference)


def _references(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            yield f"{path}.reference".lstrip("."), ref
        for key, value in node.items():
            if key == "contained":
                continue
            yield from _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _references(item, f"{path}[{i}]")
