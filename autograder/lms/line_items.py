"""Find the assignment's line item (a gradebook column) in the line items service, or make it.

LTI AGS 2.0, line items service (Canvas: ``/api/lti/courses/<id>/line_items``;
Moodle: ``/mod/lti/services.php/<course>/lineitems?type_id=<tool>``):

- ``GET`` with ``Accept: application/vnd.ims.lis.v2.lineitemcontainer+json`` answers a
  JSON array of line items (``id`` = the line item's URL, ``label``, ``scoreMaximum``,
  ``resourceId``, ...), one page at a time: the next page is the ``Link`` header's
  ``rel="next"`` URL (RFC 8288). ``resource_id=`` narrows the list on both platforms;
  ``limit=`` sets the page size.
- ``POST`` of ``application/vnd.ims.lis.v2.lineitem+json`` ``{"label", "scoreMaximum",
  "resourceId"}`` creates one (Canvas makes a new assignment named ``label``) and answers
  it with its ``id``.

A line item is matched by ``resourceId`` when one is given, else by its exact
``label``. Two matches are an error (the Scores would go to one at random).
Every URL the token is sent to (next pages, the line item) must be on the
same scheme, host and port as the line items URL.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from autograder.lms.errors import LmsError
from autograder.lms.transport import check_url, json_request_headers, same_origin, send

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
PAGE_SIZE = 100
MAX_PAGES = 500  # a course with 50,000 columns is a loop, not a course
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))', re.I)


@dataclass(frozen=True)
class LineItem:
    """The line item the Scores go to: its URL (``id``), label, maximum, and whether it is new."""

    url: str
    label: str
    score_maximum: float | None
    resource_id: str | None
    created: bool = False


def next_link(link_header: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, or None.

    Examples
    --------
    >>> next_link('<https://x/li?page=1>; rel="current",<https://x/li?page=2>; rel="next"')
    'https://x/li?page=2'
    >>> next_link('<https://x/li?page=9>; rel="last"') is None
    True
    """
    for match in _LINK.finditer(link_header or ""):
        for rel in _REL.finditer(match.group(2)):
            if "next" in (rel.group(1) or rel.group(2) or "").lower().split():
                return match.group(1).strip()
    return None


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query (keeping what is there, e.g. Moodle's type_id).

    Examples
    --------
    >>> with_query("https://m/mod/lti/services.php/2/lineitems?type_id=3", resource_id="ab c")
    'https://m/mod/lti/services.php/2/lineitems?type_id=3&resource_id=ab+c'
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items())), fragment=""))


def list_line_items(
    lineitems_url: str, token: str, *, resource_id: str | None = None, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Every line item the service lists (all pages), narrowed to ``resource_id`` if given.

    LmsError when the service refuses (its status and words), answers
    something that is not a JSON array of line items, or points a next page
    at another server.
    """
    check_url(lineitems_url, "the line items URL")
    params = {"limit": str(PAGE_SIZE)}
    if resource_id is not None:
        params["resource_id"] = resource_id
    url: str | None = with_query(lineitems_url, **params)
    seen: set[str] = set()
    items: list[dict[str, Any]] = []
    while url is not None:
        if url in seen or len(seen) >= MAX_PAGES:
            raise LmsError(
                f"the line items service at {lineitems_url} pages in a loop (page {url} again, "
                f"or more than {MAX_PAGES} pages)"
            )
        seen.add(url)
        answer = send(
            "GET",
            url,
            what="the line items service",
            headers=json_request_headers(token, None, CONTAINER_MEDIA_TYPE),
            timeout=timeout,
            secrets=(token,),
        )
        if answer.status != 200:
            raise LmsError(
                f"the line items service at {url} refused to list the line items "
                f"({answer.describe()}); the token needs the lineitem or lineitem.readonly scope"
            )
        try:
            page = answer.json()
        except ValueError:
            page = None
        if not isinstance(page, list) or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) for i in page
        ):
            raise LmsError(
                f"the line items service at {url} did not answer a JSON array of line items "
                "(each with an id); is --lineitems the line items URL of the course?"
            )
        items += page
        target = next_link(answer.header("link"))
        if target is not None:
            target = urljoin(url, target)
            if not same_origin(target, lineitems_url):
                raise LmsError(
                    f"the line items service at {lineitems_url} points its next page at another "
                    f"server ({target}); the token is not sent there"
                )
        url = target
    return items


def find_or_create(
    lineitems_url: str,
    token: str,
    *,
    label: str,
    resource_id: str | None,
    score_maximum: float,
    may_create: bool = True,
    timeout: float = 10.0,
) -> LineItem:
    """The line item with ``resource_id`` (or, without one, with ``label``), made if missing.

    A new line item gets ``label``, ``score_maximum`` (> 0) and
    ``resource_id``. ``may_create`` false (the token lacks the lineitem scope)
    makes a missing line item an LmsError. LmsError too when several match,
    or the service refuses.
    """
    if not label.strip():
        raise LmsError("the line item label is empty; give one with --label")
    items = list_line_items(lineitems_url, token, resource_id=resource_id, timeout=timeout)
    if resource_id is not None:
        chosen = [i for i in items if str(i.get("resourceId", "")) == resource_id]
        by = f"resourceId {resource_id!r}"
    else:
        chosen = [i for i in items if i.get("label") == label]
        by = f"label {label!r}"
    if len(chosen) > 1:
        raise LmsError(
            f"{len(chosen)} line items at {lineitems_url} have the {by} "
            f"({', '.join(i['id'] for i in chosen[:3])}); give a --resource-id only one of them has"
        )
    if chosen:
        return _line_item(chosen[0], lineitems_url, created=False)
    if not may_create:
        raise LmsError(
            f"no line item at {lineitems_url} has the {by}, and the platform did not grant the "
            "lineitem scope needed to create one; enable it for the tool or create the column"
        )
    return create(
        lineitems_url,
        token,
        label=label,
        resource_id=resource_id,
        score_maximum=score_maximum,
        timeout=timeout,
    )


def create(
    lineitems_url: str,
    token: str,
    *,
    label: str,
    resource_id: str | None,
    score_maximum: float,
    timeout: float = 10.0,
) -> LineItem:
    """POST a new line item; LmsError if the service refuses or answers no line item URL."""
    if not (math.isfinite(score_maximum) and score_maximum > 0):
        raise LmsError(
            f"the line item's maximum must be a number above 0, not {score_maximum!r}; "
            "give --score-maximum"
        )
    item: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
    if resource_id is not None:
        item["resourceId"] = resource_id
    answer = send(
        "POST",
        lineitems_url,
        what="the line items service",
        headers=json_request_headers(token, LINEITEM_MEDIA_TYPE, LINEITEM_MEDIA_TYPE),
        body=json.dumps(item).encode("utf-8"),
        timeout=timeout,
        secrets=(token,),
    )
    if answer.status not in (200, 201):
        raise LmsError(
            f"the line items service at {lineitems_url} refused to create the line item "
            f"{label!r} ({answer.describe()}); the token needs the lineitem scope"
        )
    try:
        made = answer.json()
    except ValueError:
        made = None
    if not isinstance(made, dict) or not isinstance(made.get("id"), str):
        raise LmsError(
            f"the line items service at {lineitems_url} created {label!r} but answered no line "
            "item id; look for it in the gradebook and push again"
        )
    return _line_item(made, lineitems_url, created=True)


def _line_item(item: dict[str, Any], lineitems_url: str, created: bool) -> LineItem:
    url = urljoin(lineitems_url, item["id"])
    check_url(url, "the line item URL")
    if not same_origin(url, lineitems_url):
        raise LmsError(
            f"the line item {url} is on another server than {lineitems_url}; "
            "the token is not sent there"
        )
    maximum = item.get("scoreMaximum")
    resource = item.get("resourceId")
    return LineItem(
        url=url,
        label=str(item.get("label", "")),
        score_maximum=float(maximum) if isinstance(maximum, int | float) else None,
        resource_id=str(resource) if resource not in (None, "") else None,
        created=created,
    )
