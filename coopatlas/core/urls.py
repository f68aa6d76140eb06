from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.source_documents, name="source_documents"),
    path("<str:key>/", views.source_document, name="source_document"),
]
