"""Pulling the stand-in Chargebee and exchange-rate APIs with the library alone: pages, overlaps, 429s, errors,
repeated and crashed pulls (no Dagster here; test_pull_assets.py covers the asset, the schedule and the secret)."""

import datetime as dt
import json

import pytest

from qs_platform.local.standins.apis import generated_subscription_versions, start_standins
from qs_platform.local.standins.server import Clock, Faults
from qs_platform.pull.credentials import http_client
from qs_platform.pull.http import HttpStatusError, PullError, parse_retry_after
from qs_platform.pull.pages import PageShapeError
from qs_platform.pull.puller import PullState, run_pull

KEY = "test-key-7f3a"
UTC = dt.UTC


def at(*day) -> float:
    return dt.datetime(*day, tzinfo=UTC).timestamp()


@pytest.fixture
def api():
    server = start_standins(api_key=KEY, clock=Clock(at(2024, 1, 1)), faults=Faults())
    yield server
    server.stop()


def pull(source, lake, state, api, *, secret=KEY, waits=None, **changes):
    spec = source.pull.model_copy(update=changes) if changes else source.pull
    client = http_client(spec, secret, initial_backoff=0.001)
    client.sleep = waits.append if waits is not None else lambda seconds: None
    env = {"QS_CHARGEBEE_URL": api.url, "QS_RATES_URL": api.url}
    return run_pull(spec, lake, source.landing_prefix, state, client, label=source.name, env=env)


def landed_versions(lake, source) -> list[tuple[str, int]]:
    found = []
    for obj in lake.list(source.landing_prefix):
        for line in lake.read_bytes(obj.key).decode().splitlines():
            record = json.loads(line)
            found.append((record["id"], record["updated_at"]))
    return found


def visible_versions(api, clock_times) -> set[tuple[str, int]]:
    """What a consumer polling at those times can see: the current state of every subscription at each time."""
    handler = api.routes["/api/v2/subscriptions"]
    return {(s["id"], s["updated_at"]) for t in clock_times for s in handler.current(t)}


def test_pages_overlaps_and_429s_land_every_version_once(config, lake, api):
    source = config.source("subscriptions")
    api.faults.rate_limit_every, api.faults.retry_after = 4, 0
    api.faults.script = [503, None, 502]
    times = [at(2024, m, d) - 1 for m in (1, 2, 3) for d in (1, 8, 15, 22)] + [at(2024, 4, 1) - 1]
    state, retries, pages = PullState(), 0, 0
    for t in times:
        api.clock.set(t)
        outcome = pull(source, lake, state, api, page_size=7)  # several pages per pull
        state, retries, pages = outcome.state, retries + outcome.retries, pages + outcome.pages
        assert state.watermark is not None
    versions = landed_versions(lake, source)
    assert len(versions) == len(set(versions)), "a version landed twice despite the look-back"
    assert set(versions) == visible_versions(api, times)
    assert retries >= 10 and pages > len(times)
    assert 429 in {status for _, status in api.answered} and 503 in {status for _, status in api.answered}
    # the look-back asked again for an hour before each watermark: the overlap was recognised, not landed
    assert any("updated_at%5Bafter%5D" in path or "updated_at[after]" in path for path, _ in api.answered)


def test_a_repeated_pull_lands_nothing_twice_and_a_lost_watermark_is_adopted(config, lake, api):
    source = config.source("subscriptions")
    api.clock.set(at(2024, 2, 1))
    first = pull(source, lake, PullState(), api)
    again = pull(source, lake, PullState(), api)  # as if the first pull's watermark had never been stored
    assert first.written and first.key and again.adopted == first.key and again.key is None
    assert [o.key for o in lake.list(source.landing_prefix)] == [first.key]
    assert again.state.watermark == first.state.watermark
    # the same answer pulled from the same stored state lands the same key, and does not rewrite it
    lake.delete(first.key)
    repeated = pull(source, lake, PullState(), api)
    assert repeated.key == first.key and repeated.written
    assert pull(source, lake, repeated.state, api).landed == 0


def test_retry_after_is_honoured_and_4xx_fails_with_status_and_body(config, lake, api):
    source = config.source("subscriptions")
    api.faults.script, api.faults.retry_after = [429, 429], 3
    waits = []
    assert pull(source, lake, PullState(), api, waits=waits).pulled > 0
    assert waits == [3.0, 3.0]
    with pytest.raises(HttpStatusError) as error:
        pull(source, lake, PullState(), api, secret="wrong-key")
    assert error.value.status == 401 and "HTTP 401" in str(error.value) and "Invalid api key" in str(error.value)
    assert "wrong-key" not in str(error.value)
    with pytest.raises(HttpStatusError, match="limit : cannot be more than 100"):
        pull(source, lake, PullState(), api, page_size=500)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=at(2015, 10, 21, 7, 27)) == 60.0


def test_a_page_of_the_wrong_shape_fails_naming_the_page(config, lake, api):
    source = config.source("subscriptions")
    api.clock.set(at(2024, 4, 1))
    api.faults.corrupt_pages = {2}
    with pytest.raises(PageShapeError, match=r"subscriptions: page 2: expected an array at 'list', got object"):
        pull(source, lake, PullState(), api, page_size=10)
    assert list(lake.list(source.landing_prefix)) == []  # nothing half-landed


def test_gives_up_after_max_attempts(config, lake, api):
    api.faults.script = [503] * 3
    with pytest.raises(PullError, match=r"HTTP 503.*gave up after 3 attempts"):
        pull(config.source("subscriptions"), lake, PullState(), api, max_attempts=3)


def test_numbered_pages_and_next_links(config, lake, api):
    source = config.source("exchange_rates")
    api.clock.set(at(2024, 2, 1))
    by_page = pull(source, lake, PullState(), api, page_size=20)
    assert (
        by_page.pages == 5 and by_page.pulled == 96 and by_page.state.watermark == "2024-02-01"
    )  # 32 days x 3 currencies
    api.clock.set(at(2024, 3, 1))
    linked = pull(
        source,
        lake,
        by_page.state,
        api,
        page_size=20,
        pagination=source.pull.pagination.model_copy(update={"kind": "next_link", "token_path": "next"}),
    )
    assert (
        linked.pages == 5 and linked.pulled == 87 and linked.state.watermark == "2024-03-01"
    )  # 29 days after 2024-02-01
    rows = [
        json.loads(line)
        for o in lake.list(source.landing_prefix)
        for line in lake.read_bytes(o.key).decode().splitlines()
    ]
    assert len({(r["date"], r["currency"]) for r in rows}) == len(rows) == 183


def test_stand_in_serves_every_generated_version(api):
    versions = generated_subscription_versions()
    assert len(versions) == len({(v["id"], v["updated_at"]) for v in versions}) > 50
    handler = api.routes["/api/v2/subscriptions"]
    assert len(handler.current(at(2024, 4, 1))) == 50
