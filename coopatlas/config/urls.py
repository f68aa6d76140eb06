from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from coopatlas.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("coopatlas.api.urls")),
    path("admin/", admin.site.urls),
]
urlpatterns += i18n_patterns(
    path("declarations/", include("coopatlas.declarations.urls")),
    path("compte/", include("coopatlas.accounts.urls")),
    path("documents/", include("coopatlas.documents.urls")),
    path("conformite/", include("coopatlas.compliance.urls")),
    path("espace/", include("coopatlas.ops.urls")),  # before the editor's <kind>/… patterns
    path("espace/", include("coopatlas.editor.urls")),
    path("sources/", include("coopatlas.core.urls")),
    path("", include("coopatlas.atlas.urls")),
    prefix_default_language=False,
)
