"""The Hanoi Convention's depositary address: its status page, which the sync reads, rather
than the XML document the seed first gave (a page of another layout)."""

from django.db import migrations

XML = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
PAGE = "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XVIII-16&chapter=18&clang=_en"


def to_status_page(apps, schema_editor):
    apps.get_model("tracker", "Treaty").objects.filter(depositary_url=XML).update(depositary_url=PAGE)


def to_document(apps, schema_editor):
    apps.get_model("tracker", "Treaty").objects.filter(depositary_url=PAGE).update(depositary_url=XML)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_depositary_and_rule_specs")]
    operations = [migrations.RunPython(to_status_page, to_document)]
