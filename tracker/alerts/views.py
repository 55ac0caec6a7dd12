"""The subscription pages: subscribe, confirm (double opt-in), manage, unsubscribe.

Every answer to the form is the same whether or not the address is known, and whether
or not that address already had its confirmation emails for the day, so the form tells
nobody who subscribed. The confirmation email is sent by a Celery task
(tracker.alerts.subscriptions), never inside the request. The only limit the answer shows
is the one per address of origin (RATE_LIMIT an hour, then 429). Links carry signed
tokens (tracker.alerts.emails).
"""

import logging
import time

from django import forms
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from signatories.selectors import ParticipantIndex, UnknownParticipant
from tracker import counters
from tracker.alerts import emails, subscriptions
from tracker.alerts.models import Subscription
from tracker.api.throttling import client_address
from tracker.models import Treaty

logger = logging.getLogger(__name__)

KIND_FIELDS = {
    "wants_threshold": "Threshold milestones",
    "wants_entry_into_force": "Entry into force: the date fixed, and the day itself",
    "wants_deadline": "The signature deadline approaching, and closed",
    "wants_participant": "The participant I follow acted (signed, deposited, withdrew)",
}
RATE_LIMIT = 10  # subscription requests per address of origin and hour
HOUR = 60 * 60


def threshold_label(treaty: Treaty | None) -> str:
    """The label of the milestones choice: the treaty's own milestones once it is known."""
    if treaty is None:
        return "Threshold milestones (each quarter of the threshold, and 5, 2 and 1 instruments before it)"
    *first, last = treaty.milestones
    counts = f"{', '.join(map(str, first))} and {last}" if first else str(last)
    return f"Threshold milestones ({counts} of {treaty.threshold} instruments)"


def kind_labels(treaty: Treaty | None) -> dict[str, str]:
    return KIND_FIELDS | {"wants_threshold": threshold_label(treaty)}


class SubscribeForm(forms.Form):
    email = forms.EmailField()
    treaty = forms.SlugField()
    participant = forms.CharField(required=False, help_text="ISO alpha-3 code or name, to follow one participant")

    def __init__(self, *args, treaties=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.treaties = list(Treaty.objects.all() if treaties is None else treaties)
        labels = kind_labels(self.chosen_treaty())
        for name in KIND_FIELDS:
            self.fields[name] = forms.BooleanField(required=False, label=labels[name])

    def chosen_treaty(self) -> Treaty | None:
        """The treaty the form is about: the one chosen (or asked for), or the only one."""
        slug = self.data.get("treaty") if self.is_bound else self.initial.get("treaty")
        found = [treaty for treaty in self.treaties if treaty.slug == slug]
        if found:
            return found[0]
        return self.treaties[0] if len(self.treaties) == 1 else None

    def clean_treaty(self) -> Treaty:
        slug = self.cleaned_data["treaty"]
        found = [treaty for treaty in self.treaties if treaty.slug == slug]
        if not found:
            raise forms.ValidationError("No treaty is tracked under that name.")
        return found[0]

    def clean_participant(self):
        """The participant named (by the depositary's name, an alias or ISO code), or None;
        an unknown name is an error that suggests the nearest names."""
        name = self.cleaned_data["participant"].strip()
        if not name:
            return None
        try:
            return ParticipantIndex().require(name)
        except UnknownParticipant as error:
            raise forms.ValidationError(str(error)) from None

    def kinds(self) -> dict[str, bool]:
        chosen = {name: self.cleaned_data.get(name, False) for name in KIND_FIELDS}
        return chosen if any(chosen.values()) else dict.fromkeys(KIND_FIELDS, True)  # none ticked: all


def too_many(request) -> bool:
    """Whether this address of origin (the client's, behind a proxy) asked more than
    RATE_LIMIT times this hour. Counted in tracker.counters, shared by every process; if
    the counters cannot be reached the request is let through (and the failure logged)."""
    window = int(time.time() // HOUR)
    try:
        count = counters.incr(f"tracker:alerts:subscribe-origin:{client_address(request)}:{window}", HOUR)
    except Exception:
        logger.exception("could not count the subscription request; letting it through")
        return False
    return count > RATE_LIMIT


def subscribe_view(request):
    """GET shows the form; POST records the request and queues its confirmation email."""
    treaties = list(Treaty.objects.all())
    initial = {"treaty": request.GET.get("treaty", "")}
    form = SubscribeForm(request.POST or None, initial=initial, treaties=treaties)
    context = {"form": form, "treaties": treaties}
    if request.method == "POST":
        if too_many(request):
            return render(request, "alerts/subscribe.html", context | {"limited": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            subscriptions.subscribe(data["email"], data["treaty"], data["participant"], form.kinds())
            return render(request, "alerts/check_inbox.html", {"email": data["email"]})
    return render(request, "alerts/subscribe.html", context)


def confirm_view(request, token):
    """GET shows a button (mail scanners follow links); POST confirms."""
    data = emails.read_token(token, emails.CONFIRM_SALT, max_age=emails.CONFIRM_MAX_AGE)
    subscription = Subscription.objects.filter(pk=data["s"], email=data["e"]).first() if data else None
    if subscription is None:
        return render(request, "alerts/invalid_link.html", status=404)
    if request.method == "POST":
        subscriptions.confirm(subscription)
    return render(request, "alerts/confirm.html", {"subscription": subscription, "token": token})


def subscription_from(token) -> Subscription:
    data = emails.read_token(token, emails.UNSUBSCRIBE_SALT)
    return get_object_or_404(Subscription, pk=data["s"], email=data["e"]) if data else None


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a form
def unsubscribe_view(request, token):
    """GET asks; POST unsubscribes at once (one-click)."""
    subscription = subscription_from(token)
    if subscription is None:
        return render(request, "alerts/invalid_link.html", status=404)
    if request.method == "POST":
        subscriptions.unsubscribe(subscription)
    return render(request, "alerts/unsubscribe.html", {"subscription": subscription, "token": token})


class PreferencesForm(forms.ModelForm):
    """The kinds of alerts wanted; never saved itself (subscriptions.set_kinds saves them)."""

    class Meta:
        model = Subscription
        fields = list(KIND_FIELDS)
        labels = KIND_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wants_threshold"].label = threshold_label(self.instance.treaty)


def manage_view(request, token):
    """Choose the kinds of alerts wanted."""
    subscription = subscription_from(token)
    if subscription is None:
        return render(request, "alerts/invalid_link.html", status=404)
    form = PreferencesForm(request.POST or None, instance=subscription)
    saved = request.method == "POST" and form.is_valid()
    if saved:
        subscriptions.set_kinds(subscription, {name: form.cleaned_data[name] for name in KIND_FIELDS})
    context = {"form": form, "subscription": subscription, "saved": saved, "token": token}
    return render(request, "alerts/manage.html", context)
