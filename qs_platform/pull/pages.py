"""Walking the pages of a paginated JSON API: where the records are, and how to ask for the next page.

Every page is checked against the declared shape; a page that does not fit fails the pull naming the page, the
path and what was found instead (an API that changed its answer must not be half-read silently).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from qs_platform.config.acquisition import Pull
from qs_platform.pull.http import HttpClient, PullError

MISSING = object()


class PageShapeError(PullError):
    pass


def dig(value: object, path: str) -> object:
    """`a.b.c` inside nested objects; MISSING when a step is absent (`''` is the value itself)."""
    for step in [p for p in path.split(".") if p]:
        if not isinstance(value, dict) or step not in value:
            return MISSING
        value = value[step]
    return value


def _kind(value: object) -> str:
    return "nothing" if value is MISSING else type(value).__name__.replace("dict", "object").replace("list", "array")


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, in the order fetched
    records: list[dict]


def _records(page: object, spec: Pull, where: str) -> list[dict]:
    found = dig(page, spec.records_path)
    if not isinstance(found, list):
        expected = f"an array at {spec.records_path!r}" if spec.records_path else "an array of records"
        raise PageShapeError(f"{where}: expected {expected}, got {_kind(found)}")
    records = []
    for index, element in enumerate(found):
        record = dig(element, spec.record_path)
        if not isinstance(record, dict):
            at = f"{spec.records_path or 'the page'}[{index}]" + (f".{spec.record_path}" if spec.record_path else "")
            raise PageShapeError(f"{where}: expected an object at {at}, got {_kind(record)}")
        if spec.record_extras:
            record = dict(record)
            for member, path in spec.record_extras.items():
                extra = dig(element, path)
                if extra is not MISSING:
                    record[member] = extra
        records.append(record)
    return records


def _token(page: object, path: str, where: str) -> str | None:
    token = dig(page, path)
    if token is MISSING or token is None or token == "":
        return None
    if not isinstance(token, (str, int)):
        raise PageShapeError(
            f"{where}: expected a string at {path!r} (the next page's token or link), got {_kind(token)}"
        )
    return str(token)


def iterate_pages(client: HttpClient, spec: Pull, url: str, params: dict, label: str) -> Iterator[Page]:
    """Every page of one listing, fetched lazily (a crash loses only the pages not written yet)."""
    pagination = spec.pagination
    params = {**params, spec.page_size_param: spec.page_size} if spec.page_size_param else dict(params)
    page_number = pagination.first_page
    if pagination.kind == "page":
        params[pagination.param] = page_number
    next_url: str | None = url
    for number in range(1, spec.max_pages + 1):
        where = f"{label}: page {number}"
        page = client.get_json(next_url, params, where)
        records = _records(page, spec, where)
        yield Page(number, records)
        if pagination.kind == "none":
            return
        if pagination.kind == "offset":
            token = _token(page, pagination.token_path, where)
            if token is None:
                return
            params = {**params, pagination.param: token}
        elif pagination.kind == "page":
            total = dig(page, pagination.total_pages_path) if pagination.total_pages_path else MISSING
            if total is not MISSING and not isinstance(total, int):
                raise PageShapeError(
                    f"{where}: expected a whole number at {pagination.total_pages_path!r}, got {_kind(total)}"
                )
            last = (
                page_number - pagination.first_page + 1 >= total
                if total is not MISSING
                else len(records) < spec.page_size
            )
            if last or not records:
                return
            page_number += 1
            params = {**params, pagination.param: page_number}
        else:  # next_link: the link carries every parameter
            link = _token(page, pagination.token_path, where)
            if link is None:
                return
            next_url, params = urljoin(next_url, link), None
    raise PullError(
        f"{label}: more than max_pages ({spec.max_pages}) pages; raise max_pages or check the pagination settings"
    )
