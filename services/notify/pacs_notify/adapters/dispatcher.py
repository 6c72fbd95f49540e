"""Sends the deliveries that are due: claimed one by one, bundled per engineer and channel, rate-limited
per address, then recorded with every provider attempt.

A delivery is claimed (queued → sending) before its provider is called and recorded after, so two
dispatchers never send it twice; one claimed by a dispatcher that died mid-send is sent again as a
new attempt once `NOTIFY_STALE_SEND_SECONDS` have passed (the provider sees at most one request per
attempt). A delivery that every provider refused for a passing reason (rate limits, outages) is
tried again later (`NOTIFY_RETRY_LATER_SECONDS`), then recorded as failed. A step with a repeat queues its next
round unless the message was acknowledged meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from pacs_contracts.api import Contacts
from pacs_contracts.events import NotificationFailed, NotificationSent
from pacs_kit.loop import WorkLoop
from pacs_kit.mongo import model_of
from pacs_kit.tracing import extract_context, tracer
from pacs_kit.uow import Tx
from pacs_notify.adapters.outbound import Outgoing, Sent
from pacs_notify.domain.plan import ONCALL, bundle, rate_free_at

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_notify.deps import NotifyDeps

log = logging.getLogger(__name__)
BATCH = 200
SENDING_AT_ONCE = 16  # groups (an engineer and a channel) sent side by side


class Dispatcher:
    def __init__(self, poll_seconds: float = 0.5) -> None:
        self.poll_seconds = poll_seconds
        self._loop: WorkLoop | None = None

    def wake(self) -> None:
        if self._loop is not None:
            self._loop.wake()

    async def run(self, kit: Kit, deps: NotifyDeps) -> None:
        async def step() -> bool:
            return await self.send_due(kit, deps) >= BATCH

        self._loop = WorkLoop("notification dispatch", step, self.poll_seconds)
        await self._loop.run()

    async def send_due(self, kit: Kit, deps: NotifyDeps) -> int:
        now = datetime.now(UTC)
        stale = await deps.deliveries.stale(now - timedelta(seconds=deps.settings.stale_send_seconds), BATCH)
        if stale:
            log.warning("%d deliveries were claimed by a dispatcher that stopped; sending them again", len(stale))
            await deps.deliveries.release_stale([d["_id"] for d in stale])
        due = await deps.deliveries.due(now, BATCH)
        if not due:
            return 0
        notifications = await deps.notifications.get_many(sorted({d["notification_id"] for d in due}))
        # a message resent after a dispatcher died goes alone, as it went before (its claim); others are bundled
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        settled: list[str] = []
        for delivery in due:
            notification = notifications.get(delivery["notification_id"])
            if notification is None or notification.get("acknowledged_at") is not None:
                settled.append(delivery["notification_id"])
            else:
                resent = delivery.get("claim", "") if delivery.get("resend") else ""
                groups[(delivery["engineer_id"], delivery["channel"], resent)].append(delivery)
        if settled:
            await kit.uow.run(lambda tx: deps.deliveries.skip_for(settled, tx.session))
        # engineers are told side by side: one slow provider call never holds the others' messages, and what is
        # recorded together commits together (group commit)
        gate = asyncio.Semaphore(SENDING_AT_ONCE)

        async def send(engineer_id: str, channel: str, group: list[dict[str, Any]]) -> None:
            async with gate:
                await self._send_group(kit, deps, engineer_id, channel, group, notifications, now)

        await asyncio.gather(*(send(e, c, g) for (e, c, _), g in groups.items()))
        return len(due)

    async def _send_group(
        self, kit: Kit, deps: NotifyDeps, engineer_id: str, channel: str, group: list[dict[str, Any]],
        notifications: dict[str, Any], now: datetime,
    ) -> None:  # fmt: skip
        stored = await deps.contacts.get(engineer_id)
        contacts = model_of(Contacts, stored) if stored else None
        address = address_of(contacts, channel)
        if address is not None:
            window = timedelta(seconds=deps.settings.rate_window_seconds)
            free_at = rate_free_at(await deps.send_log.recent(address), now, deps.settings.rate_limit, window)
            if free_at > now:  # the number had its share: these wait, and go out bundled then
                await deps.deliveries.requeue([d["_id"] for d in group], free_at, from_status="queued")
                return
        won = set(await deps.deliveries.claim([d["_id"] for d in group], now))
        mine = [d for d in group if d["_id"] in won]
        if not mine:
            return
        ids = tuple(dict.fromkeys(d["notification_id"] for d in mine))
        texts = [notifications[n]["text"] for n in ids]
        locale = notifications[ids[0]].get("locale", "en")
        urgent = any(notifications[n].get("kind", ONCALL) == ONCALL for n in ids)
        first = notifications[ids[0]]
        message = Outgoing(channel=channel, address=address, text=bundle(texts, locale), engineer_id=engineer_id,
                           notification_ids=ids, incident_ids=tuple(notifications[n]["incident_id"] for n in ids),
                           urgent=urgent, targets=targets_of(contacts, engineer_id), ack_url=first.get("ack_url", ""),
                           site_id=first.get("site_id", ""))  # fmt: skip
        sent = await _send(deps, message, [notifications[n] for n in ids], now)
        rounds = max(len(d.get("retries", [])) for d in mine)
        pauses = deps.settings.retry_later_seconds
        if not sent.ok and sent.retryable and rounds < len(pauses):
            later = datetime.now(UTC) + timedelta(seconds=pauses[rounds])
            await deps.deliveries.retry_later([d["_id"] for d in mine], later, sent.attempts)
            deps.metrics.deferred(channel, sent.attempts)
            return
        await kit.uow.grouped(_recorder(deps, mine, ids, message, sent))
        firsts = [notifications[d["notification_id"]].get("caused_at") for d in mine
                  if d.get("step") == 0 and d.get("repeat") == 0]  # fmt: skip
        deps.metrics.sent(channel, sent.ok, sent.provider, sent.attempts, [c for c in firsts if c], datetime.now(UTC))


async def _send(deps: NotifyDeps, message: Outgoing, notifications: list[dict[str, Any]], now: datetime) -> Sent:
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


def _send_span(channel: str, notifications: list[dict[str, Any]]) -> Any:
    """A span in the trace of the event that caused the first message, linked to the traces of the others."""
    contexts = [trace.get_current_span(extract_context(n.get("trace"))).get_span_context() for n in notifications]
    links = [trace.Link(c) for c in contexts[1:] if c.is_valid]
    return tracer(__name__).start_as_current_span(
        f"notify send {channel}", context=extract_context(notifications[0].get("trace")), kind=SpanKind.PRODUCER,
        links=links, attributes={"pacs.channel": channel, "pacs.messages": len(notifications)},
    )  # fmt: skip


def address_of(contacts: Contacts | None, channel: str) -> str | None:
    """The engineer's first number for SMS, first push target for push; None for the log channel."""
    if contacts is None:
        return None
    if channel == "sms" and contacts.phones:
        return contacts.phones[0]
    if channel == "push" and contacts.push:
        return contacts.push[0].address
    return None


def targets_of(contacts: Contacts | None, engineer_id: str) -> dict[str, str]:
    """Every address the providers may use for this engineer: per push provider, the number for SMS."""
    targets = {"log": engineer_id}
    if contacts is not None:
        targets |= {t.provider: t.address for t in reversed(contacts.push)}  # the first target of a provider wins
        if contacts.phones:
            targets["sms"] = contacts.phones[0]
    return targets


def _recorder(deps: NotifyDeps, deliveries: list[dict[str, Any]], ids: tuple[str, ...], message: Outgoing,
              sent: Sent) -> Any:  # fmt: skip
    async def record(tx: Tx) -> None:
        at = datetime.now(UTC)
        fields = {"status": "sent" if sent.ok else "failed", "sent_at": at if sent.ok else None,
                  "address": message.address, "provider": sent.provider,
                  "provider_message_id": sent.provider_message_id, "error": sent.error,
                  "bundled_with": list(ids) if len(ids) > 1 else []}  # fmt: skip
        await deps.deliveries.finish([d["_id"] for d in deliveries], fields, sent.attempts, tx.session)
        if sent.ok:
            await deps.notifications.mark(list(ids), {"status": "sent", "sent_at": at, "channel": message.channel},
                                          tx.session)  # fmt: skip
            if message.address is not None:
                await deps.send_log.record(message.address, at, deps.settings.rate_limit, tx.session)
        acknowledged = set(await deps.notifications.acknowledged_among(list(ids), tx.session))
        repeats = [_repeat(d, at) for d in deliveries
                   if d.get("repeat_seconds") and d["notification_id"] not in acknowledged]  # fmt: skip
        await deps.deliveries.add_all(repeats, tx.session)
        for nid, incident_id in zip(ids, message.incident_ids, strict=True):
            event: NotificationSent | NotificationFailed
            if sent.ok:
                event = NotificationSent(notification_id=nid, incident_id=incident_id, engineer_id=message.engineer_id,
                                         channel=message.channel, sent_at=at)  # fmt: skip
            else:
                event = NotificationFailed(notification_id=nid, incident_id=incident_id,
                                           engineer_id=message.engineer_id, channel=message.channel,
                                           error=(sent.error or "failed")[:200])  # fmt: skip
            await tx.emit(event, correlation_id=incident_id)

    return record


def _repeat(delivery: dict[str, Any], at: datetime) -> dict[str, Any]:
    n = delivery["repeat"] + 1
    base = delivery["_id"].rsplit(":", 1)[0]
    return {**{k: v for k, v in delivery.items() if k not in ("attempts", "claimed_at")}, "_id": f"{base}:{n}",
            "repeat": n, "due_at": at + timedelta(seconds=delivery["repeat_seconds"]), "status": "queued",
            "attempts": [], "sent_at": None, "created_at": at}  # fmt: skip
