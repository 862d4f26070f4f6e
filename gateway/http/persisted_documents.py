"""Persisted documents from manifests (GATEWAY_PERSISTED_DOCUMENTS): the operations a
frontend's build wrote down, loaded and checked once at start, then run by their id.

Two formats, told apart by their shape:

- Apollo's persisted query list (`@apollo/generate-persisted-query-manifest`):
  `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
  "name", "type", "body"}]}`; `id` is the SHA-256 of `body` in hexadecimal, unless the
  project's `createOperationId` made another.
- graphql-codegen's client preset (`persistedDocuments: true`), `persisted-documents.json`:
  `{"<id>": "<document>"}`, the id the SHA-256 (its default) or SHA-1 (`hashAlgorithm:
  "sha1"`) of the document in hexadecimal, unless a `hashAlgorithm` function made another.

An id of 64 hexadecimal digits (bare, or after `sha256:` as the GraphQL-over-HTTP
appendix writes it) must be the SHA-256 of its document, and one of 40 its SHA-1: those
are the hashes the tools write, so a mismatch means the file was edited after it was
written, or two were merged wrongly. Any other id cannot be checked and is taken as it
is (the appendix's custom document identifier) when it is at most MAX_ID_CHARS of the
characters the appendix allows.

Everything is checked before the gateway starts, and every problem is told at once
(ManifestError, a SettingsError), each with its file and id: the file reads, the files
hold at most MAX_BYTES in all (no more is read), each is JSON (as strictly as a request
body) of one of the formats; each document is a string that parses and validates
against the schema within the gateway's document limits (tokens, depth, aliases,
fields, cost...), as any operation sent to it would; each id is well formed, and its
document's hash when it is one; an id never names two different documents (within a
file, a JSON object's repeated key included, or across files); at most MAX_DOCUMENTS
distinct documents, and MAX_ENTRIES ids in all (a manifest of a million tiny entries
stops there, its problems with it).

What is kept: each distinct document's text once, found by its SHA-256 (an APQ hash, or
a `documentId` that is one, finds any document whatever its id) and by any other id.
Parsed documents live only in the schema's document cache, as any operation's do.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.http import request_json
from gateway.settings import SettingsError

SETTING = "GATEWAY_PERSISTED_DOCUMENTS"
APOLLO_FORMAT = "apollo-persisted-query-manifest"
# The most bytes the manifests may hold together, and distinct documents: what a start may
# read, hold and validate (a few ms a document).
MAX_BYTES = 5_000_000
MAX_DOCUMENTS = 5_000
# Ids in all, each manifest's counted (one document may have an id in each).
MAX_ENTRIES = 2 * MAX_DOCUMENTS
MAX_ID_CHARS = 256
# Problems told at most, and per document: a manifest wrong everywhere is not a million lines.
MAX_PROBLEMS = 100
MAX_PROBLEMS_PER_DOCUMENT = 3

OPERATION_TYPES = ("query", "mutation", "subscription")
# The GraphQL-over-HTTP appendix's document identifier: its unreserved characters and ':'.
_ID = re.compile(r"[A-Za-z0-9._~:-]+")
_SHA256_ID = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
_SHA1_ID = re.compile(r"[0-9a-fA-F]{40}")
_NAMES = {"sha256": "SHA-256", "sha1": "SHA-1"}

# A document's problems (it does not parse, breaks a limit, does not validate), as messages;
# none when it may run.
DocumentProblems = Callable[[str], list[str]]


class ManifestError(SettingsError):
    pass


def claimed_hash(document_id: str) -> tuple[str, str] | None:
    """The hash an id says it is, as (algorithm, lowercase hex): "sha256" for 64
    hexadecimal digits, bare or after `sha256:`; "sha1" for 40; None for any other id."""
    match = _SHA256_ID.fullmatch(document_id)
    if match:
        return "sha256", match[1].lower()
    if _SHA1_ID.fullmatch(document_id):
        return "sha1", document_id.lower()
    return None


def id_problem(document_id: object, document: str) -> str | None:
    """What is wrong with `document_id` as the id of `document`, or None."""
    if not isinstance(document_id, str) or not document_id:
        return "the id must be a non-empty string"
    if len(document_id) > MAX_ID_CHARS:
        return f"the id is {len(document_id):,} characters long; the most is {MAX_ID_CHARS}"
    if not _ID.fullmatch(document_id):
        return "the id may hold only letters, digits and '-', '.', '_', '~', ':'"
    claim = claimed_hash(document_id)
    if claim is None:
        if document_id.startswith("sha256:"):
            return "a sha256: id must go on with the document's SHA-256 in 64 hexadecimal digits"
        return None
    algorithm, digest = claim
    actual = hashlib.new(algorithm, document.encode()).hexdigest()
    if actual != digest:
        return (
            f"the id is not the {_NAMES[algorithm]} of its document (that is {actual}): "
            "was the file edited after it was written?"
        )
    return None


@dataclass(frozen=True)
class PersistedDocuments:
    """The documents of the manifests: by SHA-256, and by every id that is not one."""

    by_sha256: Mapping[str, str]
    by_id: Mapping[str, str]
    ids: int  # distinct ids the manifests name

    def find(self, document_id: str) -> str | None:
        """The document a `documentId` (or an APQ hash) names, or None."""
        claim = claimed_hash(document_id)
        if claim is None:
            return self.by_id.get(document_id)
        algorithm, digest = claim
        return (self.by_sha256 if algorithm == "sha256" else self.by_id).get(digest)


@dataclass
class _Entry:
    where: str  # "<file>: id '<id>'", for the problems
    file: str
    document_id: object
    document: object


def load(paths: Sequence[str], problems_of: DocumentProblems) -> PersistedDocuments:
    """The documents of the manifests at `paths`, each checked with `problems_of` (the
    schema's checks); ManifestError tells every problem found, file by file."""
    problems: list[str] = []
    index = _Index(problems_of, problems)
    budget = MAX_BYTES
    for path in paths:
        raw = _read(path, budget, problems)
        if raw is not None:
            budget -= len(raw)
            index.add(_entries(path, raw, problems))
    if problems:
        count = len(problems)
        shown = problems[:MAX_PROBLEMS]
        if count > MAX_PROBLEMS:
            shown.append(f"... and {count - MAX_PROBLEMS:,} more")
        raise ManifestError(
            f"{count:,} problem{'s' if count > 1 else ''} in the persisted documents "
            f"({SETTING}):\n  " + "\n  ".join(shown)
        )
    return index.documents()


def _read(path: str, budget: int, problems: list[str]) -> bytes | None:
    try:
        with open(path, "rb") as file:
            raw = file.read(budget + 1)
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})")
        return None
    if len(raw) > budget:
        problems.append(
            f"{path}: the manifests may hold {MAX_BYTES:,} bytes in all, and this one "
            "goes past that (read no further)"
        )
        return None
    return raw


def _entries(path: str, raw: bytes, problems: list[str]) -> list[_Entry]:
    """The (id, document) pairs of one manifest; what is wrong with its shape goes to
    `problems`."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        built: dict[str, Any] = {}
        for key, value in items:
            if key in built and built[key] != value:
                repeated.append(key)
            built[key] = value
        return built

    told = len(problems)
    try:
        manifest = request_json.loads(raw, object_pairs_hook=pairs)
    except request_json.MalformedJson as exc:
        problems.append(f"{path}: not valid JSON: {exc}")
        return []
    if isinstance(manifest, dict) and "format" in manifest:
        entries = _apollo(path, manifest, problems)
        problems += [
            f"{path}: {_show(key)} is given twice, with different values" for key in repeated
        ]
    elif isinstance(manifest, dict) and (
        not manifest or any(isinstance(value, str) for value in manifest.values())
    ):
        entries = [_Entry(f"{path}: id {_show(k)}", path, k, v) for k, v in manifest.items()]
        problems += [
            f"{path}: id {_show(key)} is given twice, with different documents" for key in repeated
        ]
    else:
        problems.append(
            f"{path}: not a manifest format the gateway reads: Apollo's persisted query list "
            f'({{"format": "{APOLLO_FORMAT}", "version": 1, "operations": [...]}}) or '
            "graphql-codegen's persisted-documents.json (an object of id: document)"
        )
        return []
    if not entries and len(problems) == told:
        problems.append(f"{path}: holds no documents")
    return entries


def _apollo(path: str, manifest: dict[str, Any], problems: list[str]) -> list[_Entry]:
    if manifest["format"] != APOLLO_FORMAT:
        problems.append(
            f"{path}: unknown format {_show(manifest['format'])} (the gateway reads "
            f'"{APOLLO_FORMAT}", and graphql-codegen\'s persisted-documents.json)'
        )
        return []
    version = manifest.get("version")
    if version != 1 or isinstance(version, bool):
        problems.append(f"{path}: {APOLLO_FORMAT} version {_show(version)} (the gateway reads 1)")
        return []
    operations = manifest.get("operations")
    if not isinstance(operations, list):
        problems.append(f"{path}: `operations` must be a list")
        return []
    entries = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            problems.append(f"{path}: operations[{index}] must be an object")
            continue
        document_id = operation.get("id")
        where = f"{path}: " + (
            f"id {_show(document_id)}" if isinstance(document_id, str) else f"operations[{index}]"
        )
        if operation.get("type") not in OPERATION_TYPES:
            problems.append(f"{where}: `type` must be one of {', '.join(OPERATION_TYPES)}")
        entries.append(_Entry(where, path, document_id, operation.get("body")))
    return entries


class _Index:
    """The manifests' ids and documents as they are read, each id and each distinct
    document checked once; their problems go to `problems`."""

    def __init__(self, problems_of: DocumentProblems, problems: list[str]) -> None:
        self._problems_of = problems_of
        self._problems = problems
        self._found: dict[str, list[str]] = {}  # each distinct document: its problems
        self._ids: dict[str, tuple[str, str]] = {}  # each id: its document, the file naming it
        self._entries = 0
        self._full = False

    def add(self, entries: list[_Entry]) -> None:
        for entry in entries:
            if self._full:
                return
            self._entries += 1
            if self._entries > MAX_ENTRIES:
                self._problems.append(f"the manifests name more than {MAX_ENTRIES:,} ids")
                self._full = True
                return
            self._add(entry)

    def _add(self, entry: _Entry) -> None:
        document, problems = entry.document, self._problems
        if not isinstance(document, str):
            problems.append(f"{entry.where}: the document must be a string")
            return
        problem = id_problem(entry.document_id, document)
        if problem is not None:
            problems.append(f"{entry.where}: {problem}")
        if document not in self._found:
            if len(self._found) == MAX_DOCUMENTS:
                problems.append(f"the manifests hold more than {MAX_DOCUMENTS:,} documents")
                self._full = True
                return
            self._found[document] = self._problems_of(document)
            problems += [
                f"{entry.where}: {message}"
                for message in self._found[document][:MAX_PROBLEMS_PER_DOCUMENT]
            ]
        if problem is not None or not isinstance(entry.document_id, str):
            return
        claim = claimed_hash(entry.document_id)
        key = claim[1] if claim else entry.document_id
        seen = self._ids.setdefault(key, (document, entry.file))
        if seen[0] != document:
            problems.append(f"{entry.where}: {seen[1]} gives this id another document")

    def documents(self) -> PersistedDocuments:
        by_sha256 = {sha256_hex(document): document for document in self._found}
        return PersistedDocuments(
            by_sha256=by_sha256,
            # A SHA-256 id passed `id_problem`, so it is its document's hash: found there.
            by_id={
                key: document for key, (document, _) in self._ids.items() if key not in by_sha256
            },
            ids=len(self._ids),
        )


def sha256_hex(document: str) -> str:
    """The SHA-256 a document is known by (APQ's hash, a manifest's 64-hex id)."""
    return hashlib.sha256(document.encode()).hexdigest()


def _show(value: object) -> str:
    """A value from a manifest, as a problem shows it: quoted, and cut when long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
