"""Django's `{# … #}` comment is one line only: one spread over two lines is printed as text
(the language switcher showed its own comment in the header of every page)."""

from pathlib import Path

import coopatlas

ROOT = Path(coopatlas.__file__).parent


def test_no_template_comment_spans_lines():
    offenders = []
    for path in ROOT.rglob("templates/**/*"):
        if path.suffix not in {".html", ".txt", ".xml", ".svg"} or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.count("{#") > line.count("#}"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, "use {% comment %}…{% endcomment %} in " + ", ".join(offenders)
