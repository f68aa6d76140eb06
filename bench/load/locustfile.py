"""50 readers on a mix of public pages (locust). Run by `python -m bench.load`, which starts
the server and passes the pages in LOAD_PATHS (space-separated, each with a weight: /x:3)."""

import os

from locust import HttpUser, between, task

DEFAULT = " ".join(
    [
        "/:3",
        "/partenariats/:2",
        "/projets/?country=SN:2",
        "/collectivites/:1",
        "/pays/senegal/:1",
        "/recherche/suggestions.json?q=mop:2",
        "/api/v1/partnerships?page_size=50:1",
    ]
)


def _paths() -> list[str]:
    out = []
    for item in (os.environ.get("LOAD_PATHS") or DEFAULT).split():
        path, _, weight = item.rpartition(":") if item.rsplit(":", 1)[-1].isdigit() else (item, "", "1")
        out += [path] * int(weight or 1)
    return out


PATHS = _paths()


class Reader(HttpUser):
    wait_time = between(0.5, 1.5)  # a person reading, not a flood

    @task
    def read(self):
        import random

        path = random.choice(PATHS)
        name = path.split("?")[0] if path.count("/") <= 2 else path
        self.client.get(path, name=name, headers={"Accept-Encoding": "gzip"})
