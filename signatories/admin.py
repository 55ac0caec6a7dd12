"""Admin for participants and their actions. Data entry for staff builds on this."""

from django.contrib import admin

from signatories.models import Action, DomesticStep, Membership, Participant, ParticipantAlias


class AliasInline(admin.TabularInline):
    model = ParticipantAlias
    extra = 0


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "iso_alpha3", "kind", "un_member", "un_regional_group"]
    list_filter = ["kind", "un_member", "un_regional_group"]
    search_fields = ["name", "slug", "aliases__name", "iso_alpha2", "iso_alpha3", "iso_numeric"]
    inlines = [AliasInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "organization", "joined_on", "left_on"]
    autocomplete_fields = ["organization", "member"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["participant", "treaty", "kind", "date", "date_precision", "confidence", "cn_reference"]
    list_filter = ["treaty", "kind", "confidence", "participant__un_regional_group"]
    search_fields = ["participant__name", "participant__aliases__name", "participant__iso_alpha3", "cn_reference"]
    autocomplete_fields = ["participant", "sources"]
    date_hierarchy = "date"


@admin.register(DomesticStep)
class DomesticStepAdmin(admin.ModelAdmin):
    list_display = ["participant", "treaty", "date", "step", "confidence"]
    list_filter = ["treaty", "confidence"]
    search_fields = ["participant__name", "step"]
    autocomplete_fields = ["participant", "sources"]
