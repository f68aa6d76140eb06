"""Schema checks one activity at a time: exact line and element path, flat memory."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .codes import VERSION, schema


@dataclass(frozen=True)
class SchemaProblem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.path}: {self.message}"


class ActivityChecker:
    """Validates each <iati-activity> inside a one-activity copy of its file's root.

    Validating activity by activity keeps memory flat (the whole document is never held)
    while the root's own attributes are still checked with the first activity.
    """

    def __init__(self, *, attrib: dict | None = None, nsmap: dict | None = None):
        attrib = dict(attrib) if attrib is not None else {"version": VERSION}
        self.wrapper = etree.Element("iati-activities", attrib, nsmap=nsmap)
        self.schema = schema()

    def problems(self, activity: etree._Element, *, position: int = 1) -> list[SchemaProblem]:
        """`activity` must be detached (no parent): it is moved in and out of the wrapper."""
        self.wrapper.append(activity)
        try:
            if self.schema.validate(self.wrapper):
                return []
            log = list(self.schema.error_log)
        finally:
            self.wrapper.remove(activity)
        where = f"/iati-activities/iati-activity[{position}]"
        return [
            SchemaProblem(
                line=e.line,
                message=e.message,
                path=(e.path or "").replace("/iati-activities/iati-activity", where, 1) or where,
            )
            for e in log
        ]


# The IATI Dashboard's comprehensiveness tests we are held to (issue 12), as the share of
# activities that pass each, computed on a written file.
def comprehensiveness(path, *, where=None) -> dict[str, dict]:
    """{test: {"passed", "of", "percent"}} for an activity file, after the Dashboard:

    - budget: an activity with a budget, or `budget-not-provided`, among all activities;
      "budget_where_data": the same among activities whose financing plan has a figure
      (a coopatlas:budget total, a budget, or a transaction), the data the atlas holds;
    - sector: a sector on the activity or on every transaction;
    - commitment: a commitment (2) or incoming commitment (11) transaction, among activities
      with a value anywhere (a budget or a transaction);
    - disbursement_expenditure: a disbursement (3) or expenditure (4), among activities in
      implementation or later (status 2, 3, 4) that report any transaction.

    `where(activity) -> bool` limits the count to some activities (the demo's, say).
    """
    from .codes import NS

    counts = {
        k: [0, 0] for k in ("budget", "budget_where_data", "sector", "commitment", "disbursement_expenditure")
    }

    def count(key: str, ok: bool) -> None:
        counts[key][1] += 1
        counts[key][0] += 1 if ok else 0

    for _event, act in etree.iterparse(str(path), events=("end",), tag="iati-activity"):
        if where is not None and not where(act):
            act.clear(keep_tail=True)
            continue
        has_budget = act.find("budget") is not None or bool(act.get("budget-not-provided"))
        transactions = act.findall("transaction")
        types = {
            t.find("transaction-type").get("code")
            for t in transactions
            if t.find("transaction-type") is not None
        }
        has_value = act.find("budget") is not None or bool(transactions)
        count("budget", has_budget)
        if has_value or act.get(f"{{{NS}}}budget"):
            count("budget_where_data", has_budget)
        count(
            "sector",
            act.find("sector") is not None
            or (bool(transactions) and all(t.find("sector") is not None for t in transactions)),
        )
        if has_value:
            count("commitment", bool(types & {"2", "11"}))
        status = act.find("activity-status")
        if transactions and status is not None and status.get("code") in ("2", "3", "4"):
            count("disbursement_expenditure", bool(types & {"3", "4"}))
        act.clear(keep_tail=True)
    return {
        k: {"passed": p, "of": n, "percent": round(100 * p / n, 1) if n else None}
        for k, (p, n) in counts.items()
    }
