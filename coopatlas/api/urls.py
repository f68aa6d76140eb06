from django.urls import path

from .api import api
from .views import docs_asset, explorer_page

urlpatterns = [
    path("docs/explorer", explorer_page, name="api_docs_explorer"),
    path("docs/assets/<str:name>", docs_asset, name="api_docs_asset"),
    path("", api.urls),
]
