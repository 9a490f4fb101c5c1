"""Alert channels beyond email: a JSON POST to a webhook, in one of four message formats.

* `generic`  — Parallax's own JSON: the alert, the kind of notice and every entry as data.
* `slack`    — a Slack incoming-webhook payload (`text` plus `blocks`); Mattermost and Rocket.Chat
               accept the same.
* `feishu`   — a Feishu/Lark custom-bot message (`msg_type: "post"`, rich text per line).
* `dingtalk` — a DingTalk custom-robot message (`msgtype: "markdown"`).

Posting uses the standard library (`urllib.request`, so proxies from the environment still apply)
under a total deadline (`alerts.webhook_timeout`
covers connecting, sending and the whole answer, however slowly the receiver drips it). A URL with
`user:password@` logs in with HTTP Basic; the password is never shown (`redact_url`). Anything but
a 2xx answer, or no answer in time, is a `WebhookFailed`: the runner records nothing for that channel, so
the next run sends the same batch again — the bookkeeping is the email's (`alert_deliveries`), with
the channel in the place of the recipient.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from alerts.deadline import Deadline
from alerts.headers import check_header_text
from parallax.errors import ConfigError, ParallaxError

FORMATS = ("generic", "slack", "feishu", "dingtalk")
CHANNEL_PREFIX = "webhook:"


class WebhookFailed(ParallaxError):
    """A webhook receiver did not take the message (non-2xx, refused, timed out); retried next run."""


@dataclass
class Entry:
    title: str
    url: str
    source: str
    date: str
    lang: str
    snippet: str = ""
    title_tr: str | None = None
    note: str | None = None  # for change notices: "edited (version 2)" or "withdrawn on …"


@dataclass
class Notice:
    """One message to one channel: new hits of an alert, or changes to statements it sent before."""

    alert: str
    query: str
    kind: str  # "hits" | "changes"
    heading: str
    entries: list[Entry] = field(default_factory=list)
    more: int = 0  # entries not listed (the digest's "and N more")
    ui_url: str = ""


def channel_key(url: str) -> str:
    """The channel's name in `alert_deliveries.recipient`: one receiver URL, one bookkeeping."""
    return CHANNEL_PREFIX + url


def is_channel(recipient: str) -> bool:
    return recipient.startswith(CHANNEL_PREFIX)


def redact_url(url: str) -> str:
    """`url` with the password of any `user:password@` replaced by `***`, for output and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def shown(recipient: str) -> str:
    """A recipient or channel as it may be printed: webhook passwords redacted."""
    if is_channel(recipient):
        return CHANNEL_PREFIX + redact_url(recipient[len(CHANNEL_PREFIX):])
    return recipient


def check_channel(channel, alert: str = "") -> dict:
    """A channel {"url", "format"} checked, or `ConfigError` naming what is wrong and the fix."""
    where = f" of alert {alert!r}" if alert else ""
    if not isinstance(channel, dict) or "url" not in channel:
        raise ConfigError(f"webhook {channel!r}{where} must be {{'url': ..., 'format': ...}}, "
                          "e.g. --webhook https://hooks.example.org/T0/B0 --webhook-format slack")
    url = channel["url"]
    fmt = channel.get("format") or "generic"
    if not isinstance(url, str) or any(ord(c) < 33 for c in url):
        raise ConfigError(f"webhook URL {redact_url(str(url))!r}{where} contains spaces or control "
                          "characters; give one http(s) address such as https://hooks.example.org/parallax")
    check_header_text(f"webhook URL{where}", redact_url(url),
                      "percent-encode non-ASCII characters, e.g. https://hooks.example.org/parallax")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"webhook URL {redact_url(url)!r}{where} is not an http(s) address; give one "
                          "such as https://hooks.example.org/parallax")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.rpartition("@")[2].endswith(":")):
        raise ConfigError(f"webhook URL {redact_url(url)!r}{where} has a port outside 1-65535; "
                          "write it as https://host:8443/path, or leave the port out")
    if fmt not in FORMATS:
        raise ConfigError(f"webhook format {fmt!r}{where} is not known; choose one of: {', '.join(FORMATS)}")
    return {"url": url, "format": fmt}


# -- message formats ------------------------------------------------------------------------------

def _meta(entry: Entry) -> str:
    return " · ".join(x for x in (entry.source, entry.date, entry.lang) if x)


def generic_payload(notice: Notice) -> dict:
    return {
        "alert": notice.alert, "query": notice.query, "kind": notice.kind, "heading": notice.heading,
        "count": len(notice.entries) + notice.more, "more": notice.more, "ui_url": notice.ui_url,
        "entries": [{"title": e.title, "title_translated": e.title_tr, "url": e.url, "source": e.source,
                     "published_at": e.date, "lang": e.lang, "snippet": e.snippet, "note": e.note}
                    for e in notice.entries],
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notice: Notice) -> dict:
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": notice.heading[:150]}}]
    for e in notice.entries:
        lines = [f"*<{e.url}|{_slack_escape(e.title) or e.url}>*"]
        if e.title_tr:
            lines.append(_slack_escape(e.title_tr))
        lines.append(_slack_escape(_meta(e)))
        if e.note:
            lines.append(f"_{_slack_escape(e.note)}_")
        if e.snippet:
            lines.append(_slack_escape(e.snippet))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    if notice.more:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"…and {notice.more} more: {_slack_escape(notice.ui_url)}"}]})
    return {"text": notice.heading, "blocks": blocks[:50]}


def feishu_payload(notice: Notice) -> dict:
    lines: list[list[dict]] = []
    for e in notice.entries:
        lines.append([{"tag": "a", "text": e.title or e.url, "href": e.url}])
        detail = _meta(e) + (f" · {e.note}" if e.note else "")
        lines.append([{"tag": "text", "text": detail}])
        if e.snippet:
            lines.append([{"tag": "text", "text": e.snippet}])
    if notice.more:
        lines.append([{"tag": "text", "text": f"…and {notice.more} more: "},
                      {"tag": "a", "text": notice.ui_url, "href": notice.ui_url}])
    return {"msg_type": "post",
            "content": {"post": {"zh_cn": {"title": notice.heading, "content": lines}}}}


def _md_plain(text: str) -> str:
    """Text for DingTalk's markdown, with the characters that would start links or emphasis removed."""
    return "".join(" " if c in "[]()*_`#<>\n" else c for c in text).strip()


def dingtalk_payload(notice: Notice) -> dict:
    parts = [f"### {_md_plain(notice.heading)}", ""]
    for n, e in enumerate(notice.entries, 1):
        parts.append(f"{n}. [{_md_plain(e.title) or 'link'}]({e.url})  ")
        parts.append(f"   {_md_plain(_meta(e))}" + (f" · {_md_plain(e.note)}" if e.note else "") + "  ")
        if e.snippet:
            parts.append(f"   > {_md_plain(e.snippet)}")
        parts.append("")
    if notice.more:
        parts.append(f"…and {notice.more} more: {notice.ui_url}")
    return {"msgtype": "markdown", "markdown": {"title": notice.heading, "text": "\n".join(parts)}}


PAYLOADS = {"generic": generic_payload, "slack": slack_payload, "feishu": feishu_payload,
            "dingtalk": dingtalk_payload}


def payload(fmt: str, notice: Notice) -> dict:
    return PAYLOADS[fmt](notice)


def _opener(connections: list):
    """urllib's opener (proxies from the environment, redirects) whose HTTP connections are kept
    in `connections`, so the deadline can reach the socket of the one in use."""

    def http_connection(host, **kwargs):
        connections.append(http.client.HTTPConnection(host, **kwargs))
        return connections[-1]

    def https_connection(host, **kwargs):
        connections.append(http.client.HTTPSConnection(host, **kwargs))
        return connections[-1]

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_connection, req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_connection, req, context=self._context)

    return urllib.request.build_opener(Http, Https(context=ssl.create_default_context()))


def post(url: str, body: dict, timeout: float) -> int:
    """POST `body` as UTF-8 JSON within `timeout` seconds in all; returns the status, or raises
    `WebhookFailed` (retry next run)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    parts = urlsplit(url)
    where = parts.hostname
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Parallax alerts"}
    if parts.username is not None:
        # urllib would take `user:password@host` for a host name; the login goes in a header.
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(login).decode("ascii")
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    connections: list = []
    deadline = Deadline(timeout, lambda: connections[-1].sock if connections else None)
    try:
        with deadline:
            with _opener(connections).open(request, timeout=timeout) as response:
                status = response.status
                response.read(65536)  # the answer's body is not used; a little is read to end politely
        if deadline.expired:  # cut off mid-answer: http.client takes the end of input as the end of headers
            raise OSError("deadline")
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"the webhook at {where} answered HTTP {exc.code}; nothing was recorded "
                            "as sent, the next run retries") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        if deadline.expired:
            raise WebhookFailed(f"the webhook at {where} did not answer within {timeout:g} s "
                                "(alerts.webhook_timeout, a total deadline); the next run retries") from None
        reason = getattr(exc, "reason", None) or exc or type(exc).__name__
        raise WebhookFailed(f"cannot reach the webhook at {where}: {reason}; check the URL "
                            "(parallax alerts edit NAME --webhook URL); the next run retries") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"the webhook at {where} answered HTTP {status}; the next run retries")
    return status
