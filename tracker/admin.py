"""Admin for treaties, sources and reported figures. Data entry for staff builds on this."""

from django.contrib import admin

from tracker.models import Citation, ReportedFigure, Source, Treaty


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Treaty)
class TreatyAdmin(admin.ModelAdmin):
    list_display = ["short_title", "depositary_reference", "adopted_on", "signature_closes_on", "threshold"]
    search_fields = ["short_title", "title", "slug", "depositary_reference"]
    prepopulated_fields = {"slug": ["short_title"]}
    inlines = [CitationInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "publisher", "published_on"]
    search_fields = ["url", "seed_article", "publisher", "title"]


@admin.register(ReportedFigure)
class ReportedFigureAdmin(admin.ModelAdmin):
    list_display = ["treaty", "reported_on", "figure", "qualifier", "value", "source"]
    list_filter = ["treaty", "figure"]
    autocomplete_fields = ["source"]
