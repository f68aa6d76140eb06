"""50 concurrent readers on a mix of public pages (locust). Run by `python -m bench.load`,
which starts the server and writes the pages to read into LOAD_PAGES_FILE.

"50 concurrent readers" means 50 concurrent clients: no think time (`constant(0)`), each
reader asks for its next page as soon as the last one answered, so the figure measures the
server, not the readers' pace (with 0.5-1.5 s of reading time, 50 readers can never ask for
more than ~50 pages a second). FastHttpUser (geventhttpclient) is locust's light client:
locust shares the machine's cores with the server it measures.

The file is JSON: {"kind": {"weight": n, "paths": [...]}}. Each request draws a kind by its
weight, then one of its paths: fiches of thousands of different records, lists with
filters, search suggestions with many prefixes, API pages. Real first visitors: no
If-None-Match, no cookie kept between requests (each answer is read in full).
"""

import json
import os
import random

from locust import FastHttpUser, constant, task

DEFAULT = {"home": {"weight": 1, "paths": ["/"]}}


def _pages() -> dict:
    path = os.environ.get("LOAD_PAGES_FILE")
    if not path:
        return DEFAULT
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


PAGES = _pages()
KINDS = [kind for kind, spec in PAGES.items() if spec["paths"]]
WEIGHTS = [PAGES[kind]["weight"] for kind in KINDS]
HEADERS = {"Accept-Encoding": "gzip", "Accept-Language": "fr"}


class Reader(FastHttpUser):
    wait_time = constant(0)  # a concurrent client, not a person reading (see the docstring)

    def on_start(self):
        # No cookie jar: every request is a first visitor's (geventhttpclient's user agent
        # skips cookies when it has no jar).
        self.client.client.cookiejar = None

    @task
    def read(self):
        kind = random.choices(KINDS, WEIGHTS)[0]
        path = random.choice(PAGES[kind]["paths"])
        self.client.get(path, name=kind, headers=HEADERS)
