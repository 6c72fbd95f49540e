"""What a hospital's contact reads in a notice's e-mail: subject and body in their language, the facts, the link
and until when it works. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pacs_contracts.events import HospitalNotice
from pacs_kit.links import masked

EMAIL = "email"  # the channel a hospital's contacts are reached on

SUBJECTS = {
    "upgrade.window_requested": {"en": "[PACS] Please agree an upgrade window for {site}",
                                 "zh-CN": "[PACS] 请确认{site}的升级窗口"},
    "access.approval_requested": {"en": "[PACS] Remote access to {site} awaits your approval",
                                  "zh-CN": "[PACS] {site}的远程访问申请待您批准"},
    "review.published": {"en": "[PACS] The service review for {site} is ready",
                         "zh-CN": "[PACS] {site}的服务回顾报告已发布"},
    "upgrade.window_scheduled": {"en": "[PACS] A pre-approved patch for {site} is scheduled in your standing window",
                                 "zh-CN": "[PACS] 已按预先同意安排{site}的补丁在固定维护窗口实施"},
    "remote_access.granted_at_once": {"en": "[PACS] Remote access to {site} was granted by a standing rule",
                                      "zh-CN": "[PACS] 已按合同常设规则授予{site}的远程访问"},
}  # fmt: skip
BY_ROLE = {  # a topic without its own words: by what the contact looks after
    "upgrade": {"en": "[PACS] Software upgrade at {site}", "zh-CN": "[PACS] {site}软件升级通知"},
    "access": {"en": "[PACS] Remote access to {site}", "zh-CN": "[PACS] {site}远程访问通知"},
    "review": {"en": "[PACS] Service review for {site}", "zh-CN": "[PACS] {site}服务回顾通知"},
}
FACTS = {
    "product": {"en": "Product", "zh-CN": "产品"},
    "version": {"en": "Version", "zh-CN": "版本"},
    "from_version": {"en": "Current version", "zh-CN": "当前版本"},
    "window": {"en": "Window", "zh-CN": "窗口"},
    "window_minutes": {"en": "Window length (minutes)", "zh-CN": "窗口时长（分钟）"},
    "level": {"en": "Access level", "zh-CN": "访问级别"},
    "period": {"en": "Period", "zh-CN": "期间"},
    "duration": {"en": "Duration", "zh-CN": "时长"},
    "incident": {"en": "Incident", "zh-CN": "事件"},
    "until": {"en": "Until", "zh-CN": "结束"},
    "from": {"en": "From", "zh-CN": "开始"},
    "engineer": {"en": "Engineer", "zh-CN": "工程师"},
    "hosts": {"en": "Hosts", "zh-CN": "主机"},
    "rule": {"en": "Rule", "zh-CN": "规则"},
}
WORDS = {
    "en": {"dear": "Dear {name},", "lead": "{subject}.", "open": "Open the link to respond: {link}",
           "until": "The link works until {at:%Y-%m-%d %H:%M} ({zone}).", "reference": "Reference: {reference}",
           "footer": "Sent by the PACS service platform to the hospital's named contacts; please do not reply."},
    "zh-CN": {"dear": "{name}，您好：", "lead": "{subject}。", "open": "请通过以下链接处理：{link}",
              "until": "链接有效期至 {at:%Y-%m-%d %H:%M}（{zone}）。", "reference": "编号：{reference}",
              "footer": "本邮件由 PACS 服务平台发给医院指定联系人，请勿直接回复。"},
}  # fmt: skip


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def recipients(contacts: list[dict[str, Any]], role: str, name: str | None = None) -> list[dict[str, Any]]:
    """The contacts who look after `role` (only the one called `name`, when given), each address once."""
    chosen: dict[str, dict[str, Any]] = {}
    for contact in contacts:
        if role in contact.get("roles", ()) and name in (None, contact["name"]):
            chosen.setdefault(contact["email"].lower(), contact)
    return list(chosen.values())


def notice_mail(notice: HospitalNotice, contact: dict[str, Any], site_name: str, time_zone: str) -> Mail:
    """The e-mail for one contact, in their language; the link's expiry in the hospital's time."""
    lang = str(contact.get("language")) if contact.get("language") in WORDS else "zh-CN"
    words = WORDS[lang]
    subject = (SUBJECTS.get(notice.topic) or BY_ROLE[notice.role])[lang].format(site=site_name)
    lead = subject.removeprefix("[PACS] ")
    facts = [f"{FACTS.get(k, {}).get(lang, k)}: {v}" for k, v in notice.facts.items()]
    lines = [words["dear"].format(name=contact["name"]), "", words["lead"].format(subject=lead)]
    lines += ["", *facts] if facts else []
    if notice.link:
        lines += ["", words["open"].format(link=notice.link)]
        if notice.expires_at is not None:
            lines.append(words["until"].format(at=notice.expires_at.astimezone(ZoneInfo(time_zone)), zone=time_zone))
    lines += ["", words["reference"].format(reference=notice.reference), "", "--", words["footer"]]
    return Mail(subject, "\n".join(lines))


def shown(link: str) -> str:
    """A link as a log line or the delivery log may show it: its token masked (the link is the hospital's
    credential); a link of a shape the kit does not know, not at all."""
    mask = masked(link)
    return mask if mask != link else "(link)"


def without_link(text: str, link: str | None) -> str:
    """The text as the delivery log shows it to staff: the link masked."""
    return text.replace(link, shown(link)) if link else text
