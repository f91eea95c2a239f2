"""Fill the GB/T 2260 codes of addresses entered before the picker, from their names where they match.

Addresses whose province name matches no division keep empty codes (and their names); the reverse
leaves the codes in place, since 0006's reverse removes the columns.
"""

from django.db import migrations


def fill_codes(apps, schema_editor):
    from fenxiao.trade.divisions import codes_for_names

    Address = apps.get_model("trade", "Address")
    for address in Address.objects.filter(province_code="").iterator(chunk_size=500):
        province_code, city_code, district_code = codes_for_names(
            address.province, address.city, address.district
        )
        if province_code:
            Address.objects.filter(pk=address.pk).update(
                province_code=province_code, city_code=city_code, district_code=district_code
            )


class Migration(migrations.Migration):
    dependencies = [("trade", "0006_address_division_codes")]

    operations = [migrations.RunPython(fill_codes, migrations.RunPython.noop)]
