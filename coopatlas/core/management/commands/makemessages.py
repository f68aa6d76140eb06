"""`makemessages` without fuzzy matching: a new French string gets an empty English msgstr
(which the suite refuses) rather than a guess copied from a similar string, marked fuzzy,
that Django would silently ignore."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
