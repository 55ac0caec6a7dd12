"""The subscription pages: subscribe, confirm (double opt-in), manage, unsubscribe.

Every answer to the form is the same whether or not the address is known, so the form
tells nobody who subscribed. Links carry signed tokens (tracker.alerts.emails).
"""

from django import forms
from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tracker.alerts import emails
from tracker.alerts.models import Subscription
from tracker.alerts.services import subscribe
from tracker.models import Treaty

KIND_FIELDS = {
    "wants_threshold": "Threshold milestones (10, 20, 30, 35, 38, 39, 40 instruments)",
    "wants_entry_into_force": "Entry into force: the date fixed, and the day itself",
    "wants_deadline": "The signature deadline approaching, and closed",
    "wants_participant": "The participant I follow acted (signed, deposited, withdrew)",
}
RATE_LIMIT = 10  # subscription requests per address of origin and hour


class SubscribeForm(forms.Form):
    email = forms.EmailField()
    treaty = forms.SlugField()
    participant = forms.CharField(required=False, help_text="ISO alpha-3 code or name, to follow one participant")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in KIND_FIELDS.items():
            self.fields[name] = forms.BooleanField(required=False, label=label)

    def clean_treaty(self):
        slug = self.cleaned_data["treaty"]
        if not Treaty.objects.filter(slug=slug).exists():
            raise forms.ValidationError("No treaty is tracked under that name.")
        return slug

    def kinds(self) -> dict[str, bool]:
        chosen = {name: self.cleaned_data.get(name, False) for name in KIND_FIELDS}
        return chosen if any(chosen.values()) else dict.fromkeys(KIND_FIELDS, True)  # none ticked: all


def too_many(request) -> bool:
    """Whether this address of origin asked too often in the last hour."""
    key = f"tracker:subscribe-rate:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=60 * 60)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:
        return False


def subscribe_view(request):
    """GET shows the form; POST records the request and mails a confirmation link."""
    form = SubscribeForm(request.POST or None, initial={"treaty": request.GET.get("treaty", "")})
    if request.method == "POST":
        if too_many(request):
            return render(request, "alerts/subscribe.html", {"form": form, "limited": True}, status=429)
        if form.is_valid():
            subscribe(form.cleaned_data["email"], form.cleaned_data["treaty"], form.cleaned_data["participant"], form.kinds())
            return render(request, "alerts/check_inbox.html", {"email": form.cleaned_data["email"]})
    return render(request, "alerts/subscribe.html", {"form": form, "treaties": Treaty.objects.all()})


def confirm_view(request, token):
    """GET shows a button (mail scanners follow links); POST confirms."""
    data = emails.read_token(token, emails.CONFIRM_SALT, max_age=emails.CONFIRM_MAX_AGE)
    subscription = Subscription.objects.filter(pk=data["s"], email=data["e"]).first() if data else None
    if subscription is None:
        return render(request, "alerts/invalid_link.html", status=404)
    if request.method == "POST" and subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
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
    if request.method == "POST" and subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return render(request, "alerts/unsubscribe.html", {"subscription": subscription, "token": token})


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = list(KIND_FIELDS)
        labels = KIND_FIELDS


def manage_view(request, token):
    """Choose the kinds of alerts wanted."""
    subscription = subscription_from(token)
    if subscription is None:
        return render(request, "alerts/invalid_link.html", status=404)
    form = PreferencesForm(request.POST or None, instance=subscription)
    saved = request.method == "POST" and form.is_valid()
    if saved:
        form.save()
    context = {"form": form, "subscription": subscription, "saved": saved, "token": token}
    return render(request, "alerts/manage.html", context)
