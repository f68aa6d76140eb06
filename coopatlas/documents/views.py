"""Downloads only: never shown inline, so an uploaded file cannot run in our origin."""

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .models import Document
from .selectors import document_visible
from .services import EXTENSIONS

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def download_name(document: Document) -> str:
    """The uploaded name with the extension of the type we checked: "scan" is saved as
    "scan.pdf" and "photo.exe" (a PNG by content) as "photo.png", so the downloader opens
    it with the program for its real type and never runs it."""
    extension = EXTENSIONS[document.kind]
    name = (document.original_name or "document").replace("\x00", "").strip() or "document"
    stem, dot, current = name.rpartition(".")
    if dot and current.lower() in ({extension, document.kind} | ({"jpeg"} if extension == "jpg" else set())):
        return name
    return f"{name}.{extension}"


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(
        Document.objects.select_related("convention__partnership", "project", "partnership"), pk=pk
    )
    if not document_visible(user=request.user, document=document):
        raise Http404("No such document")  # not 403: do not reveal that it exists
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("File missing") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(document),
        content_type=CONTENT_TYPES[document.kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
