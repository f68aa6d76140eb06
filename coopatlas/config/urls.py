from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from coopatlas.ops import views as ops_views

urlpatterns = [
    # Choosing a language changes nothing worth a CSRF token: without the token the public
    # pages set no cookie, so a reverse proxy may keep them (core/freshness.py).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("api/v1/", include("coopatlas.api.urls")),
    path("admin/", admin.site.urls),
]
urlpatterns += i18n_patterns(
    path("declarations/", include("coopatlas.declarations.urls")),
    path("compte/", include("coopatlas.accounts.urls")),
    path("documents/", include("coopatlas.documents.urls")),
    path("conformite/", include("coopatlas.compliance.urls")),
    path("espace/atlas-etat/", include("coopatlas.stateatlas.urls")),
    path("espace/", include("coopatlas.ops.urls")),  # before the editor's <kind>/… patterns
    path("espace/", include("coopatlas.editor.urls")),
    path("appels/", include("coopatlas.calls.urls")),
    path("mise-en-relation/", include("coopatlas.matchmaking.urls")),
    path("sources/", include("coopatlas.core.urls")),
    path("", include("coopatlas.atlas.urls")),
    prefix_default_language=False,
)

# An address no view answers: JSON for the API (core.middleware.wants_json), else the page.
handler404 = "coopatlas.atlas.error_views.not_found"
