"""Roles in the editing pickers are written as people read them (« chef de file »), not as
the code names the API uses (lead); the codes still work."""

from django.utils import translation

from coopatlas.cooperation.models import ProjectOperator, ProjectParticipant
from coopatlas.editor.resolve import _role


def test_roles_read_from_their_label_or_their_code():
    participant, operator = ProjectParticipant.Role.choices, ProjectOperator.Role.choices
    assert _role("Chef de file", participant) == "lead"
    assert _role(" chef de file ", participant) == "lead"
    assert _role("lead", participant) == "lead"
    assert _role("Responsable", operator) == "accountable"
    assert _role("funding", operator) == "funding"
    assert _role("n'importe quoi", operator) == "n'importe quoi"  # left for the service to refuse
    with translation.override("en"):
        english = str(ProjectOperator.Role.EXTENDING.label)
        assert english != "Maître d'ouvrage délégué"
        assert _role(english, operator) == "extending"
        assert _role("Maître d'ouvrage délégué", operator) == "extending"
