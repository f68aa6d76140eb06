from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("messages/", views.messages_mine, name="messages"),
    path("taches/", views.jobs_mine, name="jobs"),
    path("taches/<int:pk>/", views.job_detail, name="job"),
    path("taches/<int:pk>/fichier/", views.job_download, name="job_download"),
    path("taches/export/<int:authority>.<str:fmt>", views.export_start, name="export_start"),
]
