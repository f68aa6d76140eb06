from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_gazetteer_and_foreign_authority_review")]

    operations = [
        migrations.AddField(
            model_name="country",
            name="iso_name_fr",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="country",
            name="iso_name_en",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
