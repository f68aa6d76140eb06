from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("flux.atom", views.CallsFeed(), name="feed"),
    path("mes-candidatures/", views.mine, name="mine"),
    path("nouveau/", views.call_new, name="new"),
    path("candidater/<int:project>/", views.apply, name="apply"),
    path("simulateur/<slug:slug>/", views.simulate, name="simulate"),
    path("candidatures/<int:pk>/", views.application_page, name="application"),
    path("candidatures/<int:pk>/eligibilite.json", views.application_eligibility, name="eligibility"),
    path("candidatures/<int:pk>/accuse-reception.pdf", views.receipt, name="receipt"),
    path("candidatures/<int:pk>/notification.pdf", views.letter, name="letter"),
    path("candidatures/<int:pk>/<str:action>/", views.application_action, name="action"),
    path("<slug:slug>/", views.call_detail, name="detail"),
    path("<slug:slug>/comite/", views.committee, name="committee"),
    path("<slug:slug>/modifier/", views.call_edit, name="edit"),
    path("<slug:slug>/<str:action>/", views.call_action, name="call_action"),
]
