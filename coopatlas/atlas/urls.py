from django.urls import path

from . import views

app_name = "atlas"

urlpatterns = [
    path("", views.home, name="home"),
    path("pays/<slug:slug>/", views.home, name="country"),
    path("territoires/<str:code>/", views.home, name="area"),
    path("collectivites/<slug:slug>/", views.home, name="authority"),
    path("acteurs/<slug:slug>/", views.home, name="organisation"),
    path("partenariats/<slug:slug>/", views.home, name="partnership"),
    path("projets/<slug:slug>/", views.home, name="project"),
    path("programmes/<slug:slug>/", views.home, name="programme"),
]
