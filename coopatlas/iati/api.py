"""Public IATI download under /api/v1/iati/ (mounted by coopatlas/api/api.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.http import FileResponse, HttpRequest
from ninja import Router

from coopatlas.cooperation.filters import filters_from_params

from .selectors import projects_for_filters
from .services import iati_export

router = Router(tags=["iati"])


class _DeleteOnClose:
    """A file handle that removes its temporary file once the response has been sent."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = open(path, "rb")  # noqa: SIM115 (closed by FileResponse)

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)
        os.rmdir(self.path.parent)


@router.get("/activities.xml", url_name="iati_activities")
def activities(request: HttpRequest):
    """The atlas's own projects as one IATI 2.03 file, schema-checked activity by activity.

    Takes the project list's filters (`q`, `country`, `area`, `theme`, `sdg`, `status`,
    `year_from`, `year_to`…); `page`/`page_size` are ignored: the file holds every match.
    Bad filters answer 422; no matching project answers 422 too (IATI needs ≥ 1 activity).
    """
    filters = filters_from_params(request.GET)
    folder = Path(tempfile.mkdtemp(prefix="coopatlas-iati-"))
    output = folder / "activities.xml"
    try:
        iati_export(projects=projects_for_filters(filters=filters), output=output, persist=False)
    except Exception:
        output.unlink(missing_ok=True)
        os.rmdir(folder)
        raise
    response = FileResponse(
        _DeleteOnClose(output),
        content_type="application/xml",
        as_attachment=True,
        filename="coopatlas-iati-activities.xml",
    )
    return response
