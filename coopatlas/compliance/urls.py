from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.warning_list, name="list"),
]
