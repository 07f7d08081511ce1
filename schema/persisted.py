"""Persisted queries ("trusted documents"): documents named by their SHA-256.

Frontends build a manifest, a JSON object ``{sha256 hex of the document: document}`` (``unicrm
schema manifest`` makes one from a folder of ``.graphql`` files), and send the hash instead of
the text: Apollo style as ``extensions.persistedQuery.sha256Hash``, or as ``documentId``
(``sha256:<hex>`` or the bare hex), over GET or POST. ``persisted_queries.mode`` decides:

* ``off``: hashes are not understood (PERSISTED_QUERY_NOT_SUPPORTED when sent without a query);
* ``allow``: a known hash runs its document, and ad-hoc documents run too;
* ``only``: only manifest documents run; an ad-hoc document is PERSISTED_QUERY_ONLY.

An unknown hash is PERSISTED_QUERY_NOT_FOUND. A request sending both a hash and a query must
send the query the hash names.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from unicrm.core.config import PersistedQueryMode, Settings
from unicrm.core.errors import ConfigError

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


class PersistedQueryError(Exception):
    """A request the persisted-query rules refuse; ``code`` goes to ``extensions.code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def document_hash(document: str) -> str:
    """The manifest key of ``document``: the SHA-256 hex of its UTF-8 text, exactly as sent."""
    return hashlib.sha256(document.encode()).hexdigest()


def build_manifest(documents: Iterable[str]) -> dict[str, str]:
    """The manifest of ``documents``, sorted by hash."""
    return dict(sorted((document_hash(d), d) for d in documents))


def load_manifest(path: Path) -> dict[str, str]:
    """Read and check a manifest: every key must be the SHA-256 of its document."""
    where = f"bad persisted query manifest {path}"
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{where}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        raise ConfigError(f"{where}: not JSON; expected {{sha256 hex: document}}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"{where}: expected a JSON object {{sha256 hex: document}}")
    for key, document in data.items():
        if key != document_hash(document):
            raise ConfigError(f"{where}: {key[:16]}... is not the SHA-256 of its document")
    return data


def _requested_hash(params: dict[str, Any]) -> str | None:
    """The document hash a request names, if any; a malformed one is a BAD_REQUEST."""
    document_id = params.get("documentId")
    extensions = params.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if document_id is None and persisted is None:
        return None
    if document_id is not None:
        if not isinstance(document_id, str):
            raise PersistedQueryError("documentId must be a string", "BAD_REQUEST")
        raw = document_id.removeprefix("sha256:")
    else:
        if not isinstance(persisted, dict) or not isinstance(persisted.get("sha256Hash"), str):
            raise PersistedQueryError(
                "extensions.persistedQuery must be an object with a sha256Hash", "BAD_REQUEST"
            )
        raw = persisted["sha256Hash"]
    if not _SHA256.match(raw):
        raise PersistedQueryError("a document hash is 64 lowercase hex digits", "BAD_REQUEST")
    return raw


@dataclass(frozen=True)
class PersistedQueries:
    """The persisted-query mode and manifest of one process."""

    mode: PersistedQueryMode
    documents: dict[str, str]

    @classmethod
    def of(cls, settings: Settings) -> PersistedQueries:
        config = settings.persisted_queries
        if config.mode is PersistedQueryMode.OFF or config.manifest is None:
            return cls(mode=config.mode, documents={})
        return cls(mode=config.mode, documents=load_manifest(config.manifest))

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ``query`` set from the manifest, or PersistedQueryError."""
        query = params.get("query")
        digest = _requested_hash(params)
        if digest is None:
            if self.mode is PersistedQueryMode.ONLY and query is not None:
                raise PersistedQueryError(
                    "only persisted queries are accepted: send a known document hash",
                    "PERSISTED_QUERY_ONLY",
                )
            return params
        if self.mode is PersistedQueryMode.OFF:
            if query is None:
                raise PersistedQueryError(
                    "persisted queries are not supported here", "PERSISTED_QUERY_NOT_SUPPORTED"
                )
            return params
        if query is not None and (not isinstance(query, str) or document_hash(query) != digest):
            raise PersistedQueryError("the query is not the document of its hash", "BAD_REQUEST")
        document = self.documents.get(digest)
        if document is None and (self.mode is PersistedQueryMode.ONLY or query is None):
            raise PersistedQueryError(f"no persisted query {digest}", "PERSISTED_QUERY_NOT_FOUND")
        return {**params, "query": document if document is not None else query}
