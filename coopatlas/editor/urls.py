from django.urls import path

from . import partners, payments, pickers, views

app_name = "editor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("declaration/", views.declaration_due, name="declaration"),
    path("validation/", views.review, name="review"),
    path("validation/<str:kind>/<int:pk>/", views.review_decide, name="review_decide"),
    path("supprimes/", views.deleted, name="deleted"),
    path("export/<int:authority>.<str:fmt>", views.export, name="export"),
    path("projets/<int:pk>/financement/", views.funding_edit, name="funding"),
    path("choix/collectivites/", pickers.authorities, name="pick_authorities"),
    path("choix/financeurs/", pickers.funders, name="pick_funders"),
    path("choix/acteurs/", pickers.organisations, name="pick_organisations"),
    path("choix/territoires/", pickers.areas, name="pick_areas"),
    path("choix/lieux/", pickers.places, name="pick_places"),
    path("choix/pays/", pickers.countries, name="pick_countries"),
    path("choix/secteurs/", pickers.sectors, name="pick_sectors"),
    path("choix/odd/", pickers.sdg, name="pick_sdg"),
    path("choix/partenariats/", pickers.partnerships, name="pick_partnerships"),
    path("<str:kind>/nouveau/", views.record_edit, name="create"),
    path("<str:kind>/<int:pk>/", views.record_edit, name="edit"),
    path("<str:kind>/<int:pk>/supprimer/", views.record_delete, name="delete"),
    path("<str:kind>/<int:pk>/documents/", views.document_add, name="document_add"),
    path("<str:kind>/<int:pk>/confirmer/", views.confirm, name="confirm"),
    path("<str:kind>/<int:pk>/historique/", views.history, name="history"),
    path("<str:kind>/<int:pk>/retablir/", views.undelete, name="undelete"),
]
# Foreign partners (editor/partners.py), before the generic <kind>/<pk>/ patterns.
urlpatterns = partners.urlpatterns + urlpatterns
urlpatterns = payments.urlpatterns + urlpatterns  # issue 12: payments of the financing lines
