"""The hand-written TOTP's table, once its devices moved onto django-otp (0004)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_public4_otp_devices")]

    operations = [migrations.DeleteModel(name="TotpDevice")]
