"""Enrolments made with the hand-written TOTP (accounts.TotpDevice, a base32 secret) move
onto django-otp by migration 0004: the person signs in with the same app, unchanged, and a
code already used before the move stays refused."""

import base64
import importlib
import time
from types import SimpleNamespace

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from coopatlas.accounts import services

from .otp_codes import code_at

migration = importlib.import_module("coopatlas.accounts.migrations.0004_public4_otp_devices")
PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
# What the old enrolment page showed and the phone's app keeps (RFC 4226: 160 bits, base32).
OLD_SECRET = base64.b32encode(b"coopatlas-old-enrol!").decode()


class _Apps:
    """The historical models the migration asks for: the old table's rows as they were, and
    django-otp's real TOTPDevice (the table the test database has)."""

    def __init__(self, legacy_rows):
        self.legacy = SimpleNamespace(objects=SimpleNamespace(all=lambda: legacy_rows))

    def get_model(self, app, name):
        return self.legacy if (app, name) == ("accounts", "TotpDevice") else TOTPDevice


def test_the_old_secret_becomes_the_same_key():
    assert bytes.fromhex(migration.legacy_key(OLD_SECRET)) == b"coopatlas-old-enrol!"
    assert migration.legacy_key(OLD_SECRET.lower().rstrip("=")) == migration.legacy_key(OLD_SECRET)


@pytest.mark.django_db
def test_an_old_enrolment_signs_in_unchanged_and_keeps_its_replay_guard():
    user = services.user_add(email="old-enrol@example.org", role="admin", password=PASSWORD)[0]
    step_used = int(time.time()) // 30  # the old code's last step: this step's code was used
    rows = [SimpleNamespace(user_id=user.pk, secret=OLD_SECRET, confirmed_at=object(), last_step=step_used)]
    migration.forwards(_Apps(rows), None)
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.last_t == step_used
    client = Client()
    response = client.post("/compte/connexion/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/compte/connexion/code/"  # enrolled: the code is asked
    replay = client.post("/compte/connexion/code/", {"code": code_at(OLD_SECRET, step_used)})
    assert replay.status_code == 200 and "déjà utilisé" in replay.content.decode()
    ok = client.post("/compte/connexion/code/", {"code": code_at(OLD_SECRET, step_used + 1)})
    assert ok.status_code == 302 and client.session.get("second_factor") is True


@pytest.mark.django_db
def test_an_unconfirmed_old_enrolment_stays_unconfirmed():
    user = services.user_add(email="half-enrol@example.org", role="admin", password=PASSWORD)[0]
    rows = [SimpleNamespace(user_id=user.pk, secret=OLD_SECRET, confirmed_at=None, last_step=None)]
    migration.forwards(_Apps(rows), None)
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed and device.last_t == -1
    assert not services.second_factor_enrolled(user=user)
    # The enrolment page goes on with the same secret the phone may already hold.
    assert services.totp_secret_shown(services.totp_enrolment_secret(user=user)) == OLD_SECRET.rstrip("=")
