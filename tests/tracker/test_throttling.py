"""The API's rate limits (tracker.api.throttling): the sliding-window arithmetic by table,
and the rates as settings write them."""

import pytest

from tracker import counters
from tracker.api.throttling import Rate, counter, hit, wait_seconds

THREE_A_MINUTE = Rate(3, 60)


@pytest.mark.parametrize(
    "current, previous, into_window, expected",
    [
        (1, 0, 0, None),  # the first request
        (3, 0, 59, None),  # the third, at the end of the window
        (4, 0, 0, 80),  # three allowed at 0 s: next window, once their weight is 2 of 3
        (4, 0, 30, 50),  # the same, half-way through the window
        (1, 3, 30, None),  # half the previous three still count: 1.5 + 1
        (1, 6, 30, 10),  # 3 + 1: wait until the previous six weigh 2
        (2, 6, 50, None),  # 1 + 2
        (3, 6, 50, 10),  # 1 + 3: the next window, where 2 earlier requests weigh less than 2
        (1, 100, 0, 59),  # a burst just before: almost a whole window
    ],
)
def test_the_wait_follows_the_sliding_window(current, previous, into_window, expected):
    assert wait_seconds(THREE_A_MINUTE, current, previous, into_window) == expected


@pytest.mark.parametrize("current, previous, into_window", [(4, 0, 0), (1, 6, 30), (3, 6, 50), (1, 100, 0)])
def test_a_retry_after_the_wait_is_allowed_and_one_a_second_earlier_is_not(current, previous, into_window):
    """Replays the refused client's retry at the given wait (its refused request uncounted)."""
    wait = wait_seconds(THREE_A_MINUTE, current, previous, into_window)

    def allowed_after(seconds: int) -> bool:
        at = into_window + seconds
        if at < 60:
            return wait_seconds(THREE_A_MINUTE, current, previous, at) is None
        before = current - 1 if at < 120 else 0  # the refused one is not counted
        return wait_seconds(THREE_A_MINUTE, 1, before, at % 60) is None

    assert allowed_after(wait)
    assert not allowed_after(wait - 1)


@pytest.mark.parametrize(
    "text, rate",
    [("120/minute", Rate(120, 60)), ("5/s", Rate(5, 1)), (" 1000 / Hour ", Rate(1000, 3600)),
     ("1000000/second", Rate(1000000, 1)), ("10/day", Rate(10, 86400))],
)  # fmt: skip
def test_a_rate_is_read_as_a_count_per_period(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "120", "120/fortnight", "minute/120", "0/minute", "-1/minute"])
def test_a_malformed_rate_is_refused_with_how_to_write_it(text):
    with pytest.raises(ValueError, match="120/minute"):
        Rate.parse(text)


# --- counting, in the real Redis --------------------------------------------------------------

START = 1_800_000_000.0  # the start of a window of one second and of one minute


def test_a_low_rate_is_counted_request_by_request_and_a_refusal_is_not_counted():
    rate = Rate.parse("3/minute")
    assert [hit("anon", "192.0.2.1", rate, START + n) for n in range(5)] == [None, None, None, 77, 76]
    key = f"tracker:throttle:anon:3/60:192.0.2.1:{int(START // 60)}"
    assert counters.get(key) == 3


@pytest.mark.django_db
def test_without_redis_the_counts_are_kept_in_the_database(settings):
    """The embedded defaults have no Redis: every process counts in the same table."""
    from tracker.state import Counter

    settings.REDIS_URL = ""
    rate = Rate.parse("2/minute")
    assert [hit("anon", "192.0.2.9", rate, START + n) for n in range(3)] == [None, None, 88]
    [row] = Counter.objects.filter(key__endswith=f"192.0.2.9:{int(START // 60)}")
    assert row.count == 2  # the refused request was given back
    assert counters.incr("tracker:test:expired", ttl_seconds=-1) == 1  # created already expired…
    assert counters.incr("tracker:test:expired", ttl_seconds=60) == 1  # …so the next one starts again


def test_a_high_rate_asks_redis_once_every_hundredth_request(monkeypatch):
    calls = []
    original = counter.add_and_get
    monkeypatch.setattr(counter, "add_and_get", lambda *args: calls.append(args) or original(*args))
    rate = Rate.parse("1000/second")
    assert all(hit("anon", "192.0.2.2", rate, START) is None for _ in range(30))
    assert len(calls) == 3


def test_a_high_rate_still_lets_through_exactly_its_count_in_a_window():
    rate = Rate.parse("200/second")
    answers = [hit("anon", "192.0.2.3", rate, START + 0.5) for _ in range(250)]
    assert answers.count(None) == 200
    assert all(wait == 1 for wait in answers[200:])
    # Other clients are counted apart.
    assert hit("anon", "192.0.2.4", rate, START + 0.5) is None


def test_manage_py_check_reports_a_malformed_rate(settings):
    from tracker.api.throttling import check_rates

    assert check_rates() == []
    settings.API_USER_RATE = "600 a minute"
    [error] = check_rates()
    assert error.id == "tracker.E001" and "API_USER_RATE" in error.msg and "120/minute" in error.msg
