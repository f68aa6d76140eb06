from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("", views.index, name="index"),
    path("rapport/<int:year>/", views.report, name="report"),
    path("collectivite/<slug:slug>/", views.authority, name="authority"),
    path("collectivite/<slug:slug>/nouvelle/", views.declaration_new, name="new"),
    path("campagne/<int:year>/", views.campaign, name="campaign"),
    path("<int:pk>/", views.declaration, name="declaration"),
    path("<int:pk>/<slug:action>/", views.declaration_action, name="action"),
]
