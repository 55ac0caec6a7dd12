"""Helpers for tests of the admin: post a change form back as the page rendered it."""

from datetime import date


def form_values(form) -> dict:
    """What the browser would post for ``form`` as rendered, unchanged."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue  # an empty field, or an unticked box, posts nothing
        if value is True:
            value = "on"
        elif isinstance(value, date):
            value = value.isoformat()
        data[form.add_prefix(name)] = value
    return data


def change_form_data(response, **changes) -> dict:
    """The data of the admin change form in ``response``, inlines included, with ``changes``."""
    data = form_values(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):  # a history page has none
        formset = inline.formset
        data |= form_values(formset.management_form)
        for form in formset.forms:
            data |= form_values(form)
    return data | changes
