"""The event collector on 127.0.0.1: validation, buffering by size and time, shutdown flush, crash recovery, and a
bounded load test in which every accepted event is in exactly one landed file."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
import requests

from qs_platform.collect.server import CollectorServer
from qs_platform.collect.spool import Spool
from qs_platform.config.acquisition import Collect
from qs_platform.lake import LocalLake
from qs_platform_tests.conftest import CONFIG_DIR

EVENT = {
    "element_clicked": "entree_1",
    "time_spent": 12,
    "source_menu": "lunch_menu",
    "created_at": "2024-03-01 09:15:00",
}


def collector(config, tmp_path, **settings):
    source = config.source("clickstream")
    source = source.model_copy(update={"collect": source.collect.model_copy(update=settings)})
    lake = LocalLake(tmp_path / "lake")
    spool = Spool(tmp_path / "spool", lake, source.landing_prefix, source.collect)
    return CollectorServer({"clickstream": (source, spool)}, port=0).start(), lake, spool


def landed_ids(lake) -> Counter:
    ids = Counter()
    for obj in lake.list("landing/clickstream/"):
        for line in lake.read_bytes(obj.key).decode().splitlines():
            ids[json.loads(line)["event_id"]] += 1
    return ids


def test_load_every_accepted_event_in_exactly_one_file(config, tmp_path):
    server, lake, spool = collector(config, tmp_path, max_buffer_bytes=512 * 1024, max_buffer_seconds=1)
    threads, batches, per_batch, singles = 4, 25, 190, 500  # 19,000 batched + 4 x 250 single = 20,000 events
    accepted, failures = Counter(), []

    def client(worker: int) -> None:
        session = requests.Session()
        for batch in range(batches):
            events = [{**EVENT, "event_id": f"{worker}-{batch}-{i}"} for i in range(per_batch)]
            answer = session.post(f"{server.url}/events/clickstream", data=json.dumps(events), timeout=30)
            (
                accepted.update(e["event_id"] for e in events)
                if answer.status_code == 200
                else failures.append(answer.text)
            )
        for i in range(singles // 2):
            answer = session.post(
                f"{server.url}/events", json={**EVENT, "event_id": f"{worker}-single-{i}"}, timeout=30
            )
            (accepted.update([f"{worker}-single-{i}"]) if answer.status_code == 200 else failures.append(answer.text))

    began = time.monotonic()
    workers = [threading.Thread(target=client, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    seconds = time.monotonic() - began
    server.stop()
    assert not failures and sum(accepted.values()) == 20_000
    ids = landed_ids(lake)
    assert ids == accepted, "an accepted event is missing from landing, or landed twice"
    assert spool.stats.published_files > 5  # by size: 512 KiB buffers
    assert seconds < 30, f"{20_000 / seconds:.0f} events/s"
    print(
        f"collector: {20_000 / seconds:.0f} events/s accepted, {spool.stats.fsyncs} fsyncs, {spool.stats.published_files} files"
    )


def test_size_and_shape_are_validated_and_a_bad_request_accepts_nothing(config, tmp_path):
    server, lake, spool = collector(config, tmp_path, max_event_bytes=200, max_batch_events=3, max_request_bytes=2048)
    url = f"{server.url}/events/clickstream"
    bad = requests.post(url, json=[EVENT, {"time_spent": 3}, 7, {**EVENT, "notes": "x" * 300}])
    assert bad.status_code == 400 and bad.json()["accepted"] == 0
    assert requests.post(url, json=[EVENT] * 3).status_code == 200
    assert requests.post(url, json=[EVENT] * 4).json()["errors"] == ["4 events in one request; at most 3"]
    problems = requests.post(url, json=[EVENT, {"time_spent": 3}, 7]).json()["errors"]
    assert problems == [
        "event 1: missing required ['element_clicked', 'created_at']",
        "event 2: expected a non-empty JSON object, got int",
    ]
    assert "at most 200" in requests.post(url, json={**EVENT, "notes": "x" * 300}).json()["errors"][0]
    assert requests.post(url, data=b"{not json").status_code == 400
    assert requests.post(url, data=b"[" + b" " * 4096 + b"]").status_code == 413
    assert (
        requests.post(
            url, json={**{k: v for k, v in EVENT.items() if k != "created_at"}, "createdAt": "2024-03-01 09:00:00"}
        ).status_code
        == 200
    )
    assert requests.post(f"{server.url}/events/nope", json=EVENT).status_code == 404
    health = requests.get(f"{server.url}/health").json()
    server.stop()
    assert health["sources"]["clickstream"]["accepted_events"] == 4
    assert sum(landed_ids_lines(lake)) == 4


def landed_ids_lines(lake):
    return [len(lake.read_bytes(o.key).splitlines()) for o in lake.list("landing/clickstream/")]


def test_time_flush_lands_firehose_keys_that_the_source_reads(config, tmp_path):
    server, lake, spool = collector(config, tmp_path, max_buffer_seconds=0.3)
    requests.post(f"{server.url}/events/clickstream", json=[EVENT, EVENT])
    deadline = time.monotonic() + 10
    while not list(lake.list("landing/clickstream/")) and time.monotonic() < deadline:
        time.sleep(0.05)
    keys = [o.key for o in lake.list("landing/clickstream/")]
    server.stop()
    assert len(keys) == 1
    now = time.gmtime()
    assert keys[0].startswith(f"landing/clickstream/{time.strftime('%Y/%m/%d/', now)}") and keys[0].endswith(".json")
    from qs_platform.ingest.landing import wanted
    from qs_platform.ingest.load import key_fields

    assert wanted(config.source("clickstream"), keys[0]) and key_fields(config.source("clickstream"), keys[0])[
        "yyyy"
    ] == time.strftime("%Y", now)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_collector_loses_nothing_and_a_stopped_one_flushes(tmp_path):
    port = free_port()
    env = {**os.environ, "QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake")}
    command = [sys.executable, "-m", "qs_platform.cli.main", "collect", "clickstream", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/events/clickstream"

    def start():
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                return process
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "the collector did not start"
                time.sleep(0.1)

    process = start()
    sent = [f"a-{i}" for i in range(300)]
    for start_at in range(0, 300, 50):
        assert (
            requests.post(url, json=[{**EVENT, "event_id": i} for i in sent[start_at : start_at + 50]]).status_code
            == 200
        )
    process.send_signal(signal.SIGKILL)  # 60 s buffer: nothing was landed yet, everything is in the spool
    process.wait()
    lake = LocalLake(tmp_path / "lake")
    assert list(lake.list("landing/clickstream/")) == []
    spooled = list((tmp_path / "lake" / "_collector" / "clickstream").glob("*.seg"))
    assert spooled
    with open(spooled[0], "ab") as handle:
        handle.write(b'{"event_id": "torn-never-acknowledged"')  # a write cut short by the crash

    process = start()  # recovers the spool before answering
    more = [f"b-{i}" for i in range(100)]
    assert requests.post(url, json=[{**EVENT, "event_id": i} for i in more]).status_code == 200
    process.send_signal(signal.SIGTERM)  # a clean stop flushes the open buffer
    assert process.wait(timeout=30) == 0
    assert landed_ids(lake) == Counter(sent + more)
    assert not list((tmp_path / "lake" / "_collector" / "clickstream").glob("*.seg"))


def test_collect_settings_are_validated(tmp_path):
    from qs_platform.config.loader import ConfigError, load_config

    (tmp_path / "s.yaml").write_text(
        "sources:\n  - name: clicks\n    format: csv\n    file_pattern: '*.csv'\n    collect: {max_buffer_seconds: 0}\n    columns: [{name: a}]\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert "s.yaml: sources.0.collect.max_buffer_seconds: Input should be greater than 0" in str(error.value)
    (tmp_path / "s.yaml").write_text(
        "sources:\n  - name: clicks\n    format: csv\n    file_pattern: '*.csv'\n    collect: {}\n    columns: [{name: a}]\n"
    )
    with pytest.raises(ConfigError, match="collect: lands JSON Lines, so the source needs format json"):
        load_config(tmp_path)
    assert Collect().max_buffer_bytes == 5 << 20 and Collect().max_buffer_seconds == 60
