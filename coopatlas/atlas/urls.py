from django.urls import path

from . import views

app_name = "atlas"


def _list(route: str, name: str):
    return path(route, views.list_page, {"name": name}, name=name)


urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("recherche/suggestions.json", views.suggest, name="suggest"),
    path("carte/partenariats.geojson", views.map_data, name="map_data"),
    path("a-propos/", views.about, name="about"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    _list("partenariats/", "partnership_list"),
    _list("projets/", "project_list"),
    _list("collectivites/", "authority_list"),
    _list("acteurs/", "organisation_list"),
    _list("programmes/", "programme_list"),
    _list("demandes-de-partenariat/", "partner_request_list"),
    path("pays/", views.country_list, name="country_list"),
    path("pays/<slug:slug>/", views.country, name="country"),
    path("territoires/<str:code>/", views.area, name="area"),
    path("collectivites/<slug:slug>/", views.authority, name="authority"),
    path("acteurs/<slug:slug>/", views.organisation, name="organisation"),
    path("partenariats/<slug:slug>/", views.partnership, name="partnership"),
    path("projets/<slug:slug>/", views.project, name="project"),
    path("programmes/<slug:slug>/", views.programme, name="programme"),
]
