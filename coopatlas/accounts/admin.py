"""The Django admin signs people in through the atlas's own page, so the throttling and
the second factor required of administrators apply there too. A lost phone: delete
the person's TOTP device (django-otp's admin); they enrol again at next sign-in."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _admin_login(request, extra_context=None):
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    return redirect_to_login(next_url, login_url=reverse("accounts:signin"))


admin.site.login = _admin_login
