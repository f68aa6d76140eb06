from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/telecharger/", views.document_download, name="download"),
]
