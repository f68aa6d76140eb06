from django.urls import path

from . import views

app_name = "stateatlas"

urlpatterns = [
    path("", views.review, name="review"),
]
