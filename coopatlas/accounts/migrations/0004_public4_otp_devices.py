"""The second factor moves onto django-otp (issue 13): every authenticator app enrolled
with the hand-written TOTP (a base32 secret in accounts.TotpDevice) becomes a django-otp
TOTPDevice with the same key (hex), so enrolled people sign in unchanged. The last used
time step moves too: a code already used stays refused."""

import base64

from django.db import migrations
from django.utils import timezone

DEVICE_NAME = "default"


def legacy_key(secret: str) -> str:
    """The base32 secret authenticator apps were given, as django-otp's hex key."""
    secret = "".join(secret.split()).upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()


def forwards(apps, schema_editor):
    Legacy = apps.get_model("accounts", "TotpDevice")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for old in Legacy.objects.all():
        TOTPDevice.objects.create(
            user_id=old.user_id,
            name=DEVICE_NAME,
            key=legacy_key(old.secret),
            confirmed=old.confirmed_at is not None,
            last_t=old.last_step if old.last_step is not None else -1,
        )


def backwards(apps, schema_editor):
    Legacy = apps.get_model("accounts", "TotpDevice")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.filter(name=DEVICE_NAME):
        if Legacy.objects.filter(user_id=device.user_id).exists():
            continue
        Legacy.objects.create(
            user_id=device.user_id,
            secret=base64.b32encode(bytes.fromhex(device.key)).decode("ascii").rstrip("="),
            confirmed_at=(device.last_used_at or device.created_at or timezone.now())
            if device.confirmed
            else None,
            last_step=device.last_t if device.last_t >= 0 else None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_partner_side"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
