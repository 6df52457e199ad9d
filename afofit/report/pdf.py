"""The fitting report as PDF: WeasyPrint lays out the same HTML page for A4 paper.

WeasyPrint is the optional extra ``afofit[pdf]`` (it also needs Pango, a system library).
The PDF is reproducible: its dates are the report's date, and the fonts it embeds carry that
date too (fontTools reads ``SOURCE_DATE_EPOCH``), so the same report gives the same bytes.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from contextlib import contextmanager

from afofit.errors import ExportError

__all__ = ["check_pdf", "pdf_bytes"]

_MISSING = (
    "--pdf needs WeasyPrint, the extra afofit[pdf]: pip install 'afofit[pdf]' (make installs "
    "it; it also needs Pango: on Debian, apt install libpango-1.0-0 libpangoft2-1.0-0)"
)


def check_pdf() -> None:
    """Refuse a PDF that cannot be made, before any work.

    Raises
    ------
    ExportError
        WeasyPrint (or the Pango library it needs) is not installed.
    """
    try:
        import weasyprint  # noqa: F401  (the extra afofit[pdf])
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise ExportError(f"{_MISSING} ({exc}).") from exc


@contextmanager
def _source_date(date: str) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``date`` (ISO) for the block, as it was after."""
    epoch = datetime.datetime.fromisoformat(date).replace(tzinfo=datetime.UTC).timestamp()
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def pdf_bytes(html: str, date: str) -> bytes:
    """The PDF of the report page ``html`` (self-contained), dated ``date`` (ISO).

    Raises
    ------
    ExportError
        WeasyPrint is not installed.
    """
    check_pdf()
    import weasyprint

    document = weasyprint.HTML(string=html, media_type="print").render()
    document.metadata.created = date
    document.metadata.modified = date
    with _source_date(date):
        return bytes(document.write_pdf())
