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
