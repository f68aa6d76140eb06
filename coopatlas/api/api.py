from ninja import NinjaAPI

api = NinjaAPI(title="coopatlas", version="1", urls_namespace="api")
