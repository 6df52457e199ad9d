"""Lab batches: many fittings from a manifest, unattended and resumable
(``afofit batch``): :func:`read_manifest` checks every row before any work,
:func:`run_batch` fits each case in a process of its own into OUT/<case_id>/, and
:func:`write_summary` writes summary.json, .csv and .html."""

from afofit.batch.manifest import BatchCase, ManifestError, read_manifest
from afofit.batch.run import CaseOutcome, fit_case, run_batch
from afofit.batch.summary import write_summary

__all__ = [
    "BatchCase",
    "CaseOutcome",
    "ManifestError",
    "fit_case",
    "read_manifest",
    "run_batch",
    "write_summary",
]
