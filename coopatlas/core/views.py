"""The page of each source document: its text with line numbers, cited lines highlighted.

`/sources/<key>/?lines=17-20#L17` shows lines 17–20 highlighted (server-side: the page has
no script) in a window of the text around them; without `lines`, `?page=N` pages through
the document. `?format=json` is the same structure.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .errors import AppError
from .selectors import source_document_detail, source_document_list


def _answer(request: HttpRequest, template: str, data, title: str) -> HttpResponse:
    fmt = request.GET.get("format") or "html"
    if fmt == "json":
        return JsonResponse(
            data, safe=False, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
        )
    if fmt != "html":
        raise AppError(
            _("Le paramètre « format » vaut « %(value)s » : valeurs acceptées html, json.")
            % {"value": fmt[:20]},
            field="format",
        )
    return render(request, template, {"data": data, "title": title})


@require_GET
def source_document(request: HttpRequest, key: str) -> HttpResponse:
    # A bad key or range raises AppError: the one error boundary (core.middleware) answers it.
    data = source_document_detail(key=key, lines=request.GET.get("lines"), page=request.GET.get("page"))
    return _answer(request, "core/source_document.html", data, data["title"])


@require_GET
def source_documents(request: HttpRequest) -> HttpResponse:
    return _answer(
        request, "core/source_documents.html", {"results": source_document_list()}, _("Documents sources")
    )
