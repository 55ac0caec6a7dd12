"""The admin for participants and what they did: actions, domestic steps, aliases, memberships.

Built on ``tracker.admin.AuditedAdmin``: every save and deletion, inlines included, goes
through the services (tracker.services.save_valid and delete_valid), kept in the history
with the user and an optional reason, and changes the data version.
"""

from django.contrib import admin

from signatories.models import Action, DomesticStep, Membership, Participant, ParticipantAlias
from tracker.admin import AuditedAdmin

# How staff look a participant up: by any of its names or ISO codes. The codes match
# exactly, or a search for a name would also find every code containing its letters.
PARTICIPANT_SEARCH = [
    "participant__name",
    "participant__aliases__name",
    "=participant__iso_alpha2",
    "=participant__iso_alpha3",
    "=participant__iso_numeric",
]


class AliasInline(admin.TabularInline):
    """The participant's other names."""

    model = ParticipantAlias
    extra = 0


class ParticipantActionInline(admin.TabularInline):
    """What the participant did under every treaty; sources and notes are on each action's page."""

    model = Action
    extra = 0
    fields = ["treaty", "kind", "date", "date_precision", "confidence", "cn_reference", "withdrawn_on"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("treaty", "participant")


class DomesticStepInline(admin.TabularInline):
    """The participant's steps at home under every treaty (shown, never counted)."""

    model = DomesticStep
    extra = 0
    fields = ["treaty", "date", "date_precision", "step", "confidence"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("treaty", "participant")


@admin.register(Participant)
class ParticipantAdmin(AuditedAdmin):
    """States and organizations; each page shows everything the participant did under every treaty."""

    list_display = ["name", "iso_alpha3", "kind", "un_member", "un_regional_group"]
    list_filter = ["kind", "un_member", "un_regional_group"]
    search_fields = ["name", "slug", "aliases__name", "=iso_alpha2", "=iso_alpha3", "=iso_numeric"]
    inlines = [AliasInline, ParticipantActionInline, DomesticStepInline]


@admin.register(ParticipantAlias)
class ParticipantAliasAdmin(AuditedAdmin):
    """Other names of participants, on their own so that editors, who may not change a
    participant, can still record and correct them."""

    list_display = ["name", "participant"]
    list_select_related = ["participant"]
    search_fields = ["name", "participant__name"]
    autocomplete_fields = ["participant"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    """Memberships of regional economic integration organizations, with their dates."""

    list_display = ["member", "organization", "joined_on", "left_on"]
    list_select_related = ["member", "organization"]
    list_filter = ["joined_on", "left_on"]
    search_fields = ["member__name", "member__aliases__name", "=member__iso_alpha3", "organization__name"]
    autocomplete_fields = ["organization", "member"]


@admin.register(Action)
class ActionAdmin(AuditedAdmin):
    """Signatures and deposits of instruments: what counts toward entry into force."""

    list_display = [
        "participant", "treaty", "kind", "date", "date_precision",
        "confidence", "cn_reference", "withdrawn_on",
    ]  # fmt: skip
    list_select_related = ["participant", "treaty"]
    list_filter = ["treaty", "kind", "confidence", "participant__un_regional_group", "date"]
    search_fields = [*PARTICIPANT_SEARCH, "cn_reference"]
    autocomplete_fields = ["participant", "sources"]
    date_hierarchy = "date"


@admin.register(DomesticStep)
class DomesticStepAdmin(AuditedAdmin):
    """Votes, laws and reports at home: shown beside the actions, never counted."""

    list_display = ["participant", "treaty", "date", "step", "confidence"]
    list_select_related = ["participant", "treaty"]
    list_filter = ["treaty", "confidence", "participant__un_regional_group", "date"]
    search_fields = [*PARTICIPANT_SEARCH, "step"]
    autocomplete_fields = ["participant", "sources"]
    date_hierarchy = "date"
