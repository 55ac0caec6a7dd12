"""What other sites put on their pages: a treaty's badge ("12 of 40") and its headline in an iframe.

Both are cached whole like the pages (tracker.pagecache), so a news site's readers cost
the tracker a cache read each. Only these two addresses may be framed or embedded
anywhere: every other page keeps ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``
(config/settings.py); the decorators that lift them sit outside the page cache, so a
response from the cache carries them too.
"""

from html import escape

from csp.decorators import csp_replace
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_exempt

from tracker.models import Treaty
from tracker.pagecache import cached_page
from tracker.selectors import treaty_status
from tracker.timetravel import parse_as_of
from tracker.views import headline  # the treaty page's own headline, said the same way

# How long a browser or a proxy may keep an embed without asking again: a new instrument
# shows on a news site within five minutes.
EMBED_MAX_AGE = 5 * 60
LABEL_CHARACTERS = 40
HEIGHT = 20
PADDING = 6
# Dark enough that white text reads at WCAG AA (4.5:1 or more) on each.
LABEL_FILL = "#333333"
VALUE_FILL = "#1f4e8c"
IN_FORCE_FILL = "#0b6e4f"


def shared_publicly(view):
    """Let any site show the response: cache headers for it, and the framing headers lifted."""
    framed = xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view))

    def wrapper(request, *args, **kwargs):
        response = framed(request, *args, **kwargs)
        if response.status_code == 200:
            response["Cache-Control"] = f"public, max-age={EMBED_MAX_AGE}"
        return response

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


def badge_value(status) -> str:
    """ "12 of 40" (instruments counted of the threshold), "in force", or "12 instruments"
    for a treaty without a threshold."""
    if status.in_force:
        return "in force"
    if status.threshold:
        return f"{status.instruments_counted} of {status.threshold}"
    count = status.instruments_counted
    return f"{count} instrument{'' if count == 1 else 's'}"


def text_width(text: str) -> int:
    """About how wide ``text`` is at 11 px in Verdana or DejaVu Sans; the SVG's textLength
    then fits the text to exactly that, whatever font the reader's system has."""
    narrow, wide = set("fijlrt.,:;!'| ()[]"), set("mwMW@%")
    total = 0.0
    for character in text:
        total += (
            3.8 if character in narrow else 9.5 if character in wide else 8 if character.isupper() else 6.9
        )
    return round(total)


def badge_svg(label: str, value: str, fill: str) -> str:
    """A flat badge: ``label`` on grey, ``value`` on ``fill``, named for screen readers."""
    label_width, value_width = text_width(label) + 2 * PADDING, text_width(value) + 2 * PADDING
    width = label_width + value_width
    name = escape(f"{label}: {value}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{name}">'
        f"<title>{name}</title>"
        f'<rect width="{label_width}" height="{HEIGHT}" rx="3" fill="{LABEL_FILL}"/>'
        f'<rect x="{label_width}" width="{value_width}" height="{HEIGHT}" rx="3" fill="{fill}"/>'
        f'<rect x="{label_width}" width="4" height="{HEIGHT}" fill="{fill}"/>'
        '<g fill="#ffffff" font-family="Verdana, \'DejaVu Sans\', Geneva, sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{label_width / 2}" y="14" textLength="{label_width - 2 * PADDING}">{escape(label)}</text>'
        f'<text x="{label_width + value_width / 2}" y="14" textLength="{value_width - 2 * PADDING}" '
        f'font-weight="bold">{escape(value)}</text>'
        "</g></svg>"
    )


def short_label(title: str) -> str:
    return title if len(title) <= LABEL_CHARACTERS else title[: LABEL_CHARACTERS - 1].rstrip() + "…"


@shared_publicly
@cached_page
def badge(request, slug):
    """The treaty's progress as a small SVG image for any page: "Hanoi Convention | 0 of 40"."""
    treaty = get_object_or_404(Treaty, slug=slug)
    status = treaty_status(treaty, treaty.local_date())
    fill = IN_FORCE_FILL if status.in_force else VALUE_FILL
    svg = badge_svg(short_label(treaty.short_title), badge_value(status), fill)
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@shared_publicly
@cached_page
def embed(request, slug):
    """The treaty's headline alone, for an <iframe> on another site (today's state)."""
    treaty = get_object_or_404(Treaty, slug=slug)
    card = headline(treaty, parse_as_of(None, treaty.local_date()))
    return render(request, "tracker/embed.html", {"treaty": treaty, "card": card})
