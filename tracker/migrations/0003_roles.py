"""The staff roles: "editor" records and corrects the data, "viewer" reads it.

Only superusers change a treaty's rule: editors may change a treaty's descriptive
fields, and the admin shows the rule read-only to them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
EDIT = ("view", "add", "change", "delete")
ROLES = {
    "editor": {
        "tracker": {"treaty": ("view", "change"), "source": EDIT, "citation": EDIT, "reportedfigure": EDIT},
        "signatories": {
            "participant": VIEW,
            "participantalias": EDIT,
            "membership": VIEW,
            "action": EDIT,
            "domesticstep": EDIT,
        },
    },
    "viewer": {
        "tracker": {"treaty": VIEW, "source": VIEW, "citation": VIEW, "reportedfigure": VIEW},
        "signatories": {
            "participant": VIEW,
            "participantalias": VIEW,
            "membership": VIEW,
            "action": VIEW,
            "domesticstep": VIEW,
        },
    },
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, models in grants.items():
            for model, actions in models.items():
                for historical in (model, f"historical{model}"):
                    codenames = [f"{action}_{historical}" for action in actions if action == "view" or historical == model]
                    group.permissions.add(
                        *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
                    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tracker", "0002_audit_history"),
        ("signatories", "0002_audit_history"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
