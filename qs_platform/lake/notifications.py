"""S3 event notifications drained from SQS: the optional event mode of a landing sensor.

Delivery is at least once. `drain_s3_events` deletes nothing: the caller acknowledges the receipt handles
once it has durably handled the events (e.g. requested runs whose run keys make a repeated event harmless).

A message that cannot be parsed is logged and left in the queue: it comes back after the visibility timeout
and, with a redrive policy on the queue, ends up in its dead-letter queue for someone to look at.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import unquote_plus

logger = logging.getLogger(__name__)

SQS_MAX_BATCH = 10
TEST_EVENT = "s3:TestEvent"


@dataclass(frozen=True)
class S3Event:
    bucket: str
    key: str  # decoded, relative to the root prefix
    size: int | None  # None for ObjectRemoved:* events
    etag: str | None  # without quotes; None for ObjectRemoved:* events
    event_name: str  # e.g. "ObjectCreated:Put", "ObjectRemoved:Delete"
    event_time: datetime
    sequencer: str | None = None  # orders events of one key, as hex strings of equal length

    @property
    def is_removal(self) -> bool:
        return self.event_name.startswith("ObjectRemoved:")


class MalformedMessage(ValueError):
    pass


def drain_s3_events(
    sqs_client, queue_url: str, *, root_prefix: str = "", max_messages: int = 100, wait_seconds: int = 0
) -> tuple[list[S3Event], list[str]]:
    """Up to `max_messages` messages' S3 events, and the receipt handles to acknowledge once they are handled.

    Only the first receive waits (long polling) up to `wait_seconds`; then it drains what is there.
    Events of keys outside `root_prefix` are dropped, their messages still acknowledged.
    """
    events, handles = [], []
    for message in _receive(sqs_client, queue_url, max_messages, wait_seconds):
        try:
            parsed = parse_message(message["Body"])
        except MalformedMessage as problem:
            logger.warning("leaving malformed message %s in %s: %s", message.get("MessageId"), queue_url, problem)
            continue
        events += [relative for event in parsed if (relative := _relative(event, root_prefix))]
        handles.append(message["ReceiptHandle"])
    return events, handles


def acknowledge(sqs_client, queue_url: str, receipt_handles: list[str]) -> list[str]:
    """Delete handled messages, ten per request. Returns the handles SQS refused (they will be delivered again)."""
    failed = []
    for start in range(0, len(receipt_handles), SQS_MAX_BATCH):
        batch = receipt_handles[start : start + SQS_MAX_BATCH]
        entries = [{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(batch)]
        response = sqs_client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        for failure in response.get("Failed", []):
            logger.warning("could not delete a message from %s: %s", queue_url, failure.get("Message"))
            failed.append(batch[int(failure["Id"])])
    return failed


def _receive(sqs_client, queue_url: str, max_messages: int, wait_seconds: int) -> Iterator[dict]:
    received = 0
    while received < max_messages:
        response = sqs_client.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(SQS_MAX_BATCH, max_messages - received),
            WaitTimeSeconds=wait_seconds if received == 0 else 0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return
        received += len(messages)
        yield from messages


def parse_message(body: str) -> list[S3Event]:
    """The S3 events of one SQS message body: S3's own JSON, possibly wrapped in an SNS notification.

    S3's test event, sent when a notification is configured, has none.
    """
    document = _json(body)
    if document.get("Type") == "Notification" and "Message" in document:  # SNS without raw message delivery
        document = _json(document["Message"])
    if document.get("Event") == TEST_EVENT:
        return []
    records = document.get("Records")
    if not isinstance(records, list):
        raise MalformedMessage("neither S3 event records nor an S3 test event")
    return [_event(record) for record in records]


def _json(text) -> dict:
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as error:
        raise MalformedMessage(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedMessage("not a JSON object")
    return document


def _event(record: dict) -> S3Event:
    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        raise MalformedMessage("a record that is not an S3 event")
    try:
        s3 = record["s3"]
        found = s3["object"]
        return S3Event(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(found["key"]),  # S3 URL-encodes keys in notifications, with '+' for spaces
            size=found.get("size"),
            etag=found["eTag"].strip('"') if found.get("eTag") else None,
            event_name=record["eventName"],
            event_time=datetime.fromisoformat(record["eventTime"]),
            sequencer=found.get("sequencer"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedMessage(f"not an S3 event record ({type(error).__name__}: {error})") from error


def _relative(event: S3Event, root_prefix: str) -> S3Event | None:
    """The event with its key relative to `root_prefix`; None outside it, or for a console "folder"."""
    root = root_prefix.strip("/")
    if root and not event.key.startswith(root + "/"):
        return None
    key = event.key[len(root) + 1 :] if root else event.key
    if not key or key.endswith("/"):
        return None
    return replace(event, key=key)
