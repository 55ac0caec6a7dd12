# A signature can be withdrawn too (a participant that no longer intends to become a
# party), not only a deposited instrument; either way, on or after its own date.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("signatories", "0002_audit_history"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="action",
            name="action_withdrawal_after_deposit",
        ),
        migrations.AlterField(
            model_name="action",
            name="withdrawn_on",
            field=models.DateField(
                blank=True,
                help_text="The day the signature or instrument was withdrawn, if it was.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalaction",
            name="withdrawn_on",
            field=models.DateField(
                blank=True,
                help_text="The day the signature or instrument was withdrawn, if it was.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="action",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("withdrawn_on__isnull", True), ("withdrawn_on__gte", models.F("date")), _connector="OR"
                ),
                name="action_withdrawal_after_action",
                violation_error_message="A signature or an instrument can only be withdrawn on or after "
                "its date.",
            ),
        ),
    ]
