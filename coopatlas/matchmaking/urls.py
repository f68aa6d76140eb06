from django.urls import path

from . import views

app_name = "matchmaking"

urlpatterns = [
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("suggestions/<int:pk>/", views.authority_suggestions, name="suggestions"),
    path("notifications/", views.notifications, name="notifications"),
    path("mes-demandes/", views.my_requests, name="my_requests"),
    path("programmes/<slug:slug>/", views.programme_members, name="programme"),
    path("programmes/<slug:slug>/adherer/", views.programme_join, name="programme_join"),
]
