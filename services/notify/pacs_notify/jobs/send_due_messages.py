"""Sends the messages that are due: their sends claimed one by one, bundled per engineer and channel (a hospital
contact's e-mail goes alone), rate-limited per address, then recorded with every provider attempt.

A send is claimed (queued → sending) before its provider is called and recorded after, so two
dispatchers never send it twice; one claimed by a dispatcher that died mid-send is sent again as a
new attempt once `NOTIFY_STALE_SEND_SECONDS` have passed (the provider sees at most one request per
attempt). A send that every provider refused for a passing reason (rate limits, outages) is
tried again later (`NOTIFY_RETRY_LATER_SECONDS`), then recorded as failed. A step with a repeat queues its next
round unless the message was acknowledged meanwhile. `notification.sent` and `notification.failed` go out under
the correlation id of the event that raised the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from pacs_contracts.api import Contacts
from pacs_contracts.events import NotificationFailed, NotificationSent
from pacs_kit.documents import model_of
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import Document
from pacs_kit.service import Kit
from pacs_kit.tracing import extract_context, tracer
from pacs_kit.uow import Tx
from pacs_notify.adapters.outbound import Sent
from pacs_notify.adapters.providers import Message
from pacs_notify.deps import NotifyDeps
from pacs_notify.domain.hospital import EMAIL
from pacs_notify.domain.plan import ONCALL, address_of, bundle, rate_free_at, targets_of

log = logging.getLogger(__name__)
BATCH = 200
SENDING_AT_ONCE = 16  # groups (an engineer and a channel) sent side by side
POLL_SECONDS = 0.5


async def send_due_messages(kit: Kit, deps: NotifyDeps) -> None:
    """Send what falls due, at once when new messages commit; the providers' HTTP client closes with the job."""

    async def step() -> bool:
        return await send_due(kit, deps) >= BATCH

    loop = WorkLoop("notification dispatch", step, POLL_SECONDS)
    deps.dispatch.answer_with(loop.wake)
    try:
        await loop.run()
    finally:  # the service stops: the providers' HTTP client goes with it
        await deps.outbound.close()


async def send_due(kit: Kit, deps: NotifyDeps) -> int:
    """One round: the sends due now, up to a batch; how many there were."""
    now = datetime.now(UTC)
    stale = await deps.sends.stale(now - timedelta(seconds=deps.settings.stale_send_seconds), BATCH)
    if stale:
        log.warning("%d deliveries were claimed by a dispatcher that stopped; sending them again", len(stale))
        await deps.sends.release_stale([d["_id"] for d in stale])
    due = await deps.sends.due(now, BATCH)
    if not due:
        return 0
    notifications = await deps.notifications.get_many(sorted({d["notification_id"] for d in due}))
    # a message resent after a dispatcher died goes alone, as it went before (its claim); others are bundled
    groups: dict[tuple[str, str, str], list[Document]] = defaultdict(list)
    settled: list[str] = []
    for send in due:
        notification = notifications.get(send["notification_id"])
        if notification is None or notification.get("acknowledged_at") is not None:
            settled.append(send["notification_id"])
        else:
            groups[_group_of(send)].append(send)
    if settled:
        await kit.uow.run(lambda tx: deps.sends.skip_for(settled, tx.session))
    # engineers are told side by side: one slow provider call never holds the others' messages, and what is
    # recorded together commits together (group commit)
    gate = asyncio.Semaphore(SENDING_AT_ONCE)

    async def send_group(engineer_id: str, channel: str, group: list[Document]) -> None:
        async with gate:
            await _send_group(kit, deps, engineer_id, channel, group, notifications, now)

    await asyncio.gather(*(send_group(e, c, g) for (e, c, _), g in groups.items()))
    return len(due)


async def _send_group(
    kit: Kit, deps: NotifyDeps, engineer_id: str, channel: str, group: list[Document],
    notifications: dict[str, Document], now: datetime,
) -> None:  # fmt: skip
    contacts: Contacts | None = None
    if channel == EMAIL:  # a hospital contact's: the address is the send's own
        address = group[0]["address"]
    else:
        stored = await deps.contacts.get(engineer_id)
        contacts = model_of(Contacts, stored) if stored else None
        address = address_of(contacts, channel)
    if address is not None:
        window = timedelta(seconds=deps.settings.rate_window_seconds)
        free_at = rate_free_at(await deps.send_log.recent(address), now, deps.settings.rate_limit, window)
        if free_at > now:  # the number had its share: these wait, and go out bundled then
            await deps.sends.requeue([d["_id"] for d in group], free_at, from_status="queued")
            return
    won = set(await deps.sends.claim([d["_id"] for d in group], now))
    mine = [d for d in group if d["_id"] in won]
    if not mine:
        return
    told = [notifications[n] for n in dict.fromkeys(d["notification_id"] for d in mine)]
    message = _mail(told[0], address) if channel == EMAIL else _message(engineer_id, channel, address, contacts, told)
    sent = await _send(deps, message, told, now)
    rounds = max(len(d.get("retries", [])) for d in mine)
    pauses = deps.settings.retry_later_seconds
    if not sent.ok and sent.retryable and rounds < len(pauses):
        later = datetime.now(UTC) + timedelta(seconds=pauses[rounds])
        await deps.sends.retry_later([d["_id"] for d in mine], later, sent.attempts)
        deps.metrics.deferred(channel, sent.attempts)
        return
    await kit.uow.grouped(_recorder(deps, mine, told, message, sent))
    firsts = [notifications[d["notification_id"]].get("caused_at") for d in mine
              if d.get("step") == 0 and d.get("repeat") == 0]  # fmt: skip
    deps.metrics.sent(channel, sent.ok, sent.provider, sent.attempts, [c for c in firsts if c], datetime.now(UTC))


def _group_of(send: Document) -> tuple[str, str, str]:
    """Sent together: an engineer's on one channel (a resend alone, as it went before: its claim); an e-mail alone."""
    if send["channel"] == EMAIL:
        return "", EMAIL, send["_id"]
    return send["engineer_id"], send["channel"], send.get("claim", "") if send.get("resend") else ""


def _message(engineer_id: str, channel: str, address: str | None, contacts: Contacts | None,
             told: list[Document]) -> Message:  # fmt: skip
    """An engineer's message: the texts due together as one, with every address the providers may use."""
    first = told[0]
    return Message(
        channel=channel, address=address, body=bundle([n["text"] for n in told], first.get("locale", "en")),
        engineer_id=engineer_id, notification_ids=tuple(n["_id"] for n in told),
        incident_ids=tuple(n["incident_id"] for n in told if n.get("incident_id")),
        visit_ids=tuple(n["visit_id"] for n in told if n.get("visit_id")),
        severity="critical" if any(n.get("kind", ONCALL) == ONCALL for n in told) else "minor",
        to=targets_of(contacts, engineer_id), ack_url=first.get("ack_url", ""), site_id=first.get("site_id", ""),
    )  # fmt: skip


def _mail(notification: Document, address: str) -> Message:
    """A hospital contact's e-mail: its subject and body as queued, the link whole."""
    mail = notification["mail"]
    return Message(
        channel=EMAIL, address=address, title=mail["subject"], body=mail["body"], locale=notification["locale"],
        notification_ids=(notification["_id"],), to={"email": address}, severity="minor",
        site_id=notification.get("site_id", ""),
    )  # fmt: skip


async def _send(deps: NotifyDeps, message: Message, notifications: list[Document], now: datetime) -> Sent:
    """The provider's answer, inside a span continuing the trace of the first message's cause."""
    with _send_span(message.channel, notifications) as span:
        try:
            sent = await deps.outbound.send(message)
        except Exception as exc:  # a provider adapter that broke: recorded as a failed attempt, never lost
            log.exception("sending %s failed in the service", message.notification_ids)
            error = type(exc).__name__
            sent = Sent(False, None, None, f"internal error: {error}",
                        [{"provider": None, "outcome": "error", "error": error, "at": now}])  # fmt: skip
        span.set_attributes({"pacs.provider": sent.provider or "", "pacs.sent": sent.ok})
    return sent


def _send_span(channel: str, notifications: list[Document]) -> Any:
    """A span in the trace of the event that caused the first message, linked to the traces of the others."""
    contexts = [trace.get_current_span(extract_context(n.get("trace"))).get_span_context() for n in notifications]
    links = [trace.Link(c) for c in contexts[1:] if c.is_valid]
    return tracer(__name__).start_as_current_span(
        f"notify send {channel}", context=extract_context(notifications[0].get("trace")), kind=SpanKind.PRODUCER,
        links=links, attributes={"pacs.channel": channel, "pacs.messages": len(notifications)},
    )  # fmt: skip


def _recorder(deps: NotifyDeps, sends: list[Document], told: list[Document], message: Message, sent: Sent) -> Any:
    ids = list(message.notification_ids)

    async def record(tx: Tx) -> None:
        at = datetime.now(UTC)
        fields = {"status": "sent" if sent.ok else "failed", "sent_at": at if sent.ok else None,
                  "address": message.address, "provider": sent.provider,
                  "provider_message_id": sent.provider_message_id, "error": sent.error,
                  "bundled_with": ids if len(ids) > 1 else []}  # fmt: skip
        await deps.sends.finish([d["_id"] for d in sends], fields, sent.attempts, tx.session)
        if sent.ok:
            await deps.notifications.mark(ids, {"status": "sent", "sent_at": at, "channel": message.channel},
                                          tx.session)  # fmt: skip
            if message.address is not None:
                await deps.send_log.record(message.address, at, deps.settings.rate_limit, tx.session)
        acknowledged = set(await deps.notifications.acknowledged_among(ids, tx.session))
        repeats = [_repeat(d, at) for d in sends
                   if d.get("repeat_seconds") and d["notification_id"] not in acknowledged]  # fmt: skip
        await deps.sends.add_all(repeats, tx.session)
        for n in told:
            if n.get("engineer_id") is None:  # a hospital contact's e-mail: the delivery log keeps its outcome
                continue
            # the correlation id of the event that raised the message; one stored before it was kept: its subject's
            correlation_id = n.get("correlation_id") or n["incident_id"] or n.get("visit_id")
            await tx.emit(_outcome_event(n, message, sent, at), correlation_id=correlation_id)

    return record


def _outcome_event(
    notification: Document, message: Message, sent: Sent, at: datetime
) -> NotificationSent | NotificationFailed:
    """`notification.sent` or `notification.failed` for one message of the bundle, naming its incident or visit."""
    common = {"notification_id": notification["_id"], "incident_id": notification["incident_id"],
              "visit_id": notification.get("visit_id"), "engineer_id": message.engineer_id,
              "channel": message.channel}  # fmt: skip
    if sent.ok:
        return NotificationSent(**common, sent_at=at)
    return NotificationFailed(**common, error=(sent.error or "failed")[:200])


def _repeat(send: Document, at: datetime) -> Document:
    n = send["repeat"] + 1
    base = send["_id"].rsplit(":", 1)[0]
    return {**{k: v for k, v in send.items() if k not in ("attempts", "claimed_at")}, "_id": f"{base}:{n}",
            "repeat": n, "due_at": at + timedelta(seconds=send["repeat_seconds"]), "status": "queued",
            "attempts": [], "sent_at": None, "created_at": at}  # fmt: skip
