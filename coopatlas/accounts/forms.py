"""Forms of the sign-in pages; checking happens in `services` (throttled), not here."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=12,
        help_text=_("Affiché par votre application d'authentification."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class VerifyForm(CodeForm):
    """At sign-in: the app's code, or one of the recovery codes given at enrolment."""

    code = forms.CharField(
        label=_("Code à 6 chiffres ou code de secours"),
        max_length=20,
        help_text=_(
            "Affiché par votre application d'authentification. Sans votre téléphone, "
            "saisissez l'un de vos codes de secours (8 caractères, par exemple abcd-efgh)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class InvitationAcceptForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe (au moins 12 caractères)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
