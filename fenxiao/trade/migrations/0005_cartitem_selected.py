from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trade", "0004_shipment_tracking"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartitem",
            name="selected",
            field=models.BooleanField(default=True, verbose_name="selected for checkout"),
        ),
    ]
