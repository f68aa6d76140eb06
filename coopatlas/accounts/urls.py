from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("jetons/", views.token_create, name="token_create"),
    path("jetons/revoquer/", views.token_revoke, name="token_revoke"),
    path("connexion/", views.signin, name="signin"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("connexion/code/", views.verify, name="verify"),
    path("double-authentification/", views.enrol, name="enrol"),
    path("double-authentification/codes-de-secours/", views.recovery_codes_renew, name="recovery_codes"),
    path("deconnexion/", views.SignOutView.as_view(), name="signout"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/termine/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
