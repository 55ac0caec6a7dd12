"""The pages' words as template filters: each calls tracker.wording, where they are written."""

from datetime import date

from django import template

from tracker import wording

register = template.Library()


@register.filter
def signature_on(treaty, as_of):
    """``{{ treaty|signature_on:as_of }}``: the headline's "Signature" line on that day
    (a date, or its ISO form as the status dicts give it)."""
    day = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    return wording.signature_html(treaty, day)


@register.filter
def reported(figure) -> str:
    """``{{ figure|reported }}``: "UN News reported 72 signatories on 26 Oct 2025"."""
    return wording.reported_figure_words(figure)


@register.filter
def projection(as_of) -> str:
    """``{{ as_of|projection }}``: the caveat of a day after today ("" otherwise)."""
    return wording.projection_words(as_of.day, as_of.today)


@register.filter
def reported_linked(figure):
    """``{{ figure|reported_linked }}``: the same words, the source's name a link to it."""
    return wording.reported_figure_html(figure)
