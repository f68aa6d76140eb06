from django.urls import path

from .api import api
from .views import docs_asset

urlpatterns = [
    path("docs/assets/<str:name>", docs_asset, name="api_docs_asset"),
    path("", api.urls),
]
