"""The entry point for files uploaded through the web application (issue #13 calls this).

An upload arrives as bytes with the name the user's browser gave it. :func:`read_upload` writes
it to a private temporary file and reads it with exactly the rules of the command line
(:func:`psoreg.io.load`): type by content, encoding detection, every row validated, all or
nothing. Nothing is kept on disk afterwards.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath

from psoreg.cohort import Cohort
from psoreg.errors import ImportFailed, RowError
from psoreg.io.load import load
from psoreg.io.source import ReadOptions

#: uploads larger than this are refused before they are read (bytes)
MAX_UPLOAD_BYTES = 200 * 2**20


def read_upload(
    data: bytes,
    filename: str,
    drug: str | None = None,
    options: ReadOptions | None = None,
) -> Cohort:
    """The cohort in an uploaded CSV or .xlsx file, or :class:`ImportFailed` naming its
    problems (file = ``filename``, rows and columns as the user's spreadsheet shows them)."""
    name = PurePath(filename.replace("\\", "/")).name or "upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFailed(
            name, [RowError(None, None, f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")]
        )
    with tempfile.TemporaryDirectory(prefix="psoreg-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return load(path, drug=drug, options=options)
        except ImportFailed as exc:
            raise ImportFailed(name, exc.errors, exc.more) from None
