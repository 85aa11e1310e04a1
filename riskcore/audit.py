"""The audit trail (issue #6 item 7): every saved configuration, snapshot and export is
recorded with who, when (UTC) and the sha256 of the exact inputs, so a committee decision
can be reproduced later. The rows live in the store's ``audit_log`` table
(:meth:`riskcore.store.LedgerStore.record_audit`, :meth:`~riskcore.store.LedgerStore.audit_log`);
this module holds the pieces that need no database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

__all__ = ["AUDIT_ACTIONS", "AuditEntry", "canonical_json", "payload_sha256"]

#: Actions the store records by itself, plus ``export`` for callers that hand out a file.
AUDIT_ACTIONS: Final[tuple[str, ...]] = (
    "save_system", "save_rules", "import_snapshot", "save_profile", "export",
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: one text per value."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def payload_sha256(payload: bytes | str) -> str:
    """sha256 (hex) of ``payload``; text is hashed as UTF-8."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise TypeError(f"payload must be bytes or str, not {type(payload).__name__}")
    return hashlib.sha256(bytes(payload)).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row; ``at`` is tz-aware UTC."""

    id: int
    at: pd.Timestamp
    who: str
    action: str
    subject: str
    input_sha256: str
    detail: dict[str, Any] = field(default_factory=dict)
