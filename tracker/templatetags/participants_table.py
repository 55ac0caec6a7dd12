"""``{% participant_rows rows sort_columns %}``: the participants table's rows (tracker.table_rows)."""

from django import template
from django.utils.safestring import mark_safe

from tracker import table_rows

register = template.Library()


@register.simple_tag
def participant_rows(rows, columns=()):
    """The rows' markup; ``columns`` are the header's columns (``key`` and ``label``), whose
    labels name each row's cells."""
    labels = {column["key"]: column["label"] for column in columns}
    return mark_safe(table_rows.rows_html(rows, labels))  # every text escaped there
