"""The two APIs the replaced Chargebee system pulled, imitated over the example generators' data.

- `GET /api/v2/subscriptions` like Chargebee's list subscriptions: HTTP basic auth with the API key as user name,
  `limit` (1-100), `offset` (the opaque `next_offset` of the previous page: a keyset of updated_at and id, so pages
  stay consistent while records change), `updated_at[after]` (epoch seconds, exclusive), `sort_by[asc]=updated_at`,
  `include_deleted`; each element is `{"subscription": {...}, "customer": {...}}`; the current state of each
  subscription as of the stand-in's clock.
- `GET /v1/rates` an exchange-rate API: `after` (ISO date, exclusive), `page` / `per_page`, answering
  `{"rates": [...], "page", "total_pages", "next"}` (a relative link to the next page); a day's rates exist once
  the clock has reached that day.

The data are every version the example generator delivers (`generate_subscriptions`, `generate_exchange_rates`,
read back from the files they write), so pulling at the generator's pull dates lands the same records as the
offline demo files.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from qs_platform.examples.generators import generate_exchange_rates, generate_subscriptions
from qs_platform.local.standins.server import Clock, Faults, Reply, StandinServer

SUBSCRIPTIONS_PATH = "/api/v2/subscriptions"
RATES_PATH = "/v1/rates"
MAX_LIMIT = 100


def generated_subscription_versions(
    *, n_subscriptions: int = 50, months=("2024-01", "2024-02", "2024-03"), seed: int = 0
) -> list[dict]:
    """Every distinct (id, updated_at) version in the generator's pulls, oldest first."""
    versions: dict[tuple[str, int], dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for key in generate_subscriptions(folder, n_subscriptions=n_subscriptions, months=list(months), seed=seed):
            for record in json.loads((Path(folder) / key).read_text(encoding="utf-8")):
                versions.setdefault((record["id"], record["updated_at"]), record)
    return [versions[k] for k in sorted(versions, key=lambda k: (k[1], k[0]))]


def generated_rates(*, seed: int = 0, **options) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        keys = generate_exchange_rates(folder, seed=seed, **options)
        return [
            json.loads(line)
            for key in keys
            for line in (Path(folder) / key).read_text(encoding="utf-8").splitlines()
            if line
        ]


def _error(status: int, message: str, code: str, param: str | None = None) -> Reply:
    body = {
        "message": message,
        "type": "invalid_request" if status == 400 else "operation_failed",
        "api_error_code": code,
        "http_status_code": status,
    }
    if param:
        body["param"] = param
    return Reply(status, body)


class ChargebeeSubscriptions:
    def __init__(self, versions: list[dict], clock: Clock, api_key: str | None, faults: Faults):
        self.clock, self.api_key, self.faults = clock, api_key, faults
        self.history: dict[str, list[tuple[int, dict]]] = {}
        for version in versions:
            self.history.setdefault(version["id"], []).append((int(version["updated_at"]), version))
        for items in self.history.values():
            items.sort(key=lambda item: item[0])
        self.pages_served: dict[str, int] = {}  # listing (query without offset) -> pages served

    def current(self, now: float) -> list[dict]:
        """The state of every subscription as of `now` (its newest version updated at or before it)."""
        found = []
        for items in self.history.values():
            index = bisect.bisect_right([ts for ts, _ in items], now)
            if index:
                found.append(items[index - 1][1])
        return found

    def __call__(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if self.api_key is not None and not self._authorised(headers):
            return _error(401, "Sorry, authentication failed. Invalid api key", "api_authentication_failed")
        try:
            limit = int(query.get("limit", "10"))
            after = int(query["updated_at[after]"]) if "updated_at[after]" in query else None
            cursor = tuple(json.loads(query["offset"])) if query.get("offset") else None
        except (ValueError, TypeError):
            return _error(400, "invalid value for limit, offset or updated_at[after]", "invalid_request", "limit")
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"limit : cannot be more than {MAX_LIMIT}", "invalid_request", "limit")
        include_deleted = query.get("include_deleted", "false").lower() == "true"
        listing = json.dumps({k: v for k, v in sorted(query.items()) if k != "offset"})
        page_number = self.pages_served.get(listing, 0) + 1 if cursor else 1
        self.pages_served[listing] = page_number
        if self.faults.delay_seconds:
            time.sleep(self.faults.delay_seconds)
        if page_number in self.faults.corrupt_pages:
            return Reply(200, {"list": {"subscription": "not a list"}, "next_offset": None})
        rows = [
            s
            for s in self.current(self.clock.now())
            if (after is None or s["updated_at"] > after) and (include_deleted or not s.get("deleted"))
        ]
        rows.sort(key=lambda s: (s["updated_at"], s["id"]))
        if cursor:
            rows = [s for s in rows if (s["updated_at"], s["id"]) > (int(cursor[0]), cursor[1])]
        page, rest = rows[:limit], rows[limit:]
        body: dict = {"list": [self._element(s) for s in page]}
        if rest:
            last = page[-1]
            body["next_offset"] = json.dumps([str(last["updated_at"]), last["id"]])
        return Reply(200, body)

    def _authorised(self, headers: dict[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not value.startswith("Basic "):
            return False
        try:
            user = base64.b64decode(value[6:]).decode().split(":", 1)[0]
        except ValueError:
            return False
        return user == self.api_key

    @staticmethod
    def _element(subscription: dict) -> dict:
        body = {k: v for k, v in subscription.items() if k != "customer"}
        return {"subscription": body, "customer": subscription.get("customer")}


class ExchangeRates:
    def __init__(self, rates: list[dict], clock: Clock, faults: Faults):
        self.rates = sorted(rates, key=lambda r: (r["date"], r["currency"]))
        self.clock, self.faults = clock, faults

    def __call__(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", "100"))
            after = dt.date.fromisoformat(query["after"]).isoformat() if query.get("after") else ""
        except ValueError:
            return _error(400, "page and per_page are whole numbers, after an ISO date", "invalid_request")
        if page < 1 or not 1 <= per_page <= 1000:
            return _error(400, "page >= 1 and 1 <= per_page <= 1000", "invalid_request")
        if page in self.faults.corrupt_pages:
            return Reply(200, {"rates": None, "page": page})
        today = dt.datetime.fromtimestamp(self.clock.now(), dt.UTC).date().isoformat()
        rows = [r for r in self.rates if after < r["date"] <= today]
        total = max(1, -(-len(rows) // per_page))
        body = {"rates": rows[(page - 1) * per_page : page * per_page], "page": page, "total_pages": total}
        if page < total:
            body["next"] = f"{RATES_PATH}?" + "&".join(
                f"{k}={v}" for k, v in {**query, "page": page + 1, "per_page": per_page}.items()
            )
        return Reply(200, body)


def start_standins(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    clock: Clock | None = None,
    faults: Faults | None = None,
    seed: int = 0,
) -> StandinServer:
    """One server answering both APIs, started on a daemon thread. The clock defaults to replaying the example
    window (2024-01-01 → 2024-04-01) at one simulated week per real minute."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
    clock = clock or Clock(start, dt.datetime(2024, 4, 1, tzinfo=dt.UTC).timestamp(), speed=7 * 24 * 60)
    faults = faults or Faults()
    server = StandinServer(
        {
            SUBSCRIPTIONS_PATH: ChargebeeSubscriptions(
                generated_subscription_versions(seed=seed), clock, api_key, faults
            ),
            RATES_PATH: ExchangeRates(generated_rates(seed=seed), clock, faults),
        },
        host=host,
        port=port,
        faults=faults,
    )
    server.clock = clock
    return server.start()
