"""Downloads only: never shown inline, so an uploaded file cannot run in our origin."""

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .models import Document
from .selectors import document_visible

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
                 "webp": "image/webp"}


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(Document.objects.select_related(
        "convention__partnership", "project", "partnership"), pk=pk)
    if not document_visible(user=request.user, document=document):
        raise Http404("No such document")  # not 403: do not reveal that it exists
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("File missing") from exc
    response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=CONTENT_TYPES[document.kind])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
