"""Loan books in: reading bank ledger exports (CSV/XLSX/XLS) into raw text tables.

Mapping onto the canonical schema, parsing and validation build on :func:`read_table`
(issue #3).
"""

from riskcore.ingest.read import DroppedRow, RawTable, ReadError, decode_text, read_table, sniff_format

__all__ = ["DroppedRow", "RawTable", "ReadError", "decode_text", "read_table", "sniff_format"]
