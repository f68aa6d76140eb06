from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "coopatlas.matchmaking"
    label = "matchmaking"
