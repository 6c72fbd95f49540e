"""How a service review counts, in words for the hospital, (English, Chinese): the appendix of every review.

`domain.review` counts by these rules; a change there changes this text and `RULES_VERSION`, which every review
freezes beside its figures, so a review read years later still says which rules made it."""

from __future__ import annotations

RULES_VERSION = "2"  # 2: planned time is whole-site windows as they really ended; one outage counted once

COUNTING_RULES: list[tuple[str, str]] = [
    (
        "An incident belongs to the period it was opened in, even when it was resolved later.",
        "故障计入其开单所在的统计期间，即使在之后才解决。",
    ),
    (
        "Periods follow the hospital's calendar in its time zone: a quarter or a month from local midnight; "
        "all times are stored in UTC.",
        "统计期间按医院所在时区的日历划分：季度或月份自当地零点起算；所有时间以 UTC 存储。",
    ),
    (
        "Contract time is the business hours of the contract in force when the incident opened (round the clock "
        "where the contract says so); time while the incident waits for the hospital (pending customer) is left out.",
        "合同时间指故障开单时有效合同的服务时间（合同约定全天候时为全天）；等待医院答复（待客户确认）的时间不计入。",
    ),
    (
        "MTTA (mean time to acknowledge) counts only acknowledged incidents, in contract minutes from opening to "
        "the first acknowledgement; the review states how many incidents were never acknowledged.",
        "平均响应时间（MTTA）只统计已确认的故障，以合同时间分钟计，从开单到首次确认；报告同时列出从未确认的故障数。",
    ),
    (
        "MTTR (mean time to resolve) counts only resolved incidents, in contract minutes from opening to the "
        "resolution; unresolved incidents are listed as holes instead.",
        "平均解决时间（MTTR）只统计已解决的故障，以合同时间分钟计，从开单到解决；未解决的故障列为数据缺口。",
    ),
    (
        "Mean, median and 90th percentile are taken over those incidents; the 90th percentile is the nearest "
        "rank: the value that 90 % of them do not exceed.",
        "平均值、中位数和第 90 百分位数均基于上述故障计算；第 90 百分位数取最近秩：90% 的故障不超过该值。",
    ),
    (
        "Compliance is met ÷ applicable. A clock applies when its deadline passed by the end of the period or "
        "the incident was answered before it; a deadline reported as breached always counts as not met.",
        "合规率 = 达标数 ÷ 适用数。截止时间在期末前已到期、或在截止前已处理的故障才计入适用数；"
        "已报告超时的一律计为未达标。",
    ),
    (
        "Response is met when the incident was acknowledged by its response deadline; on site is met when an "
        "engineer checked in on site by the on-site deadline (only incidents that needed a visit).",
        "响应达标指在响应截止时间前确认；到场达标指工程师在到场截止时间前签到（仅计需要到场的故障）。",
    ),
    (
        "Breaches are listed with the clock that was missed, its deadline and the incident's summary as reason.",
        "超时逐条列出错过的时钟、截止时间，并以故障摘要作为原因。",
    ),
    (
        "Escalations are counted per step, by the tier reached (L2 specialist, L3 regional expert, L4 R&D), "
        "whether the ladder climbed or a person escalated; each incident also shows the highest tier it reached.",
        "升级按每一步计数，按到达的级别统计（L2 专家、L3 区域专家、L4 研发），无论是自动升级还是人工升级；"
        "每个故障同时标明其达到的最高级别。",
    ),
    (
        "An incident counts as reopened once, however often it was reopened in the period.",
        "故障无论重开几次，只计为一次重开。",
    ),
    (
        "Availability = 1 − unplanned whole-system downtime ÷ period minutes (for a group of hospitals, the period "
        "minutes of each hospital added up). Downtime runs from when the resolution says the whole system went "
        "down until the resolution, cut to the period.",
        "可用性 = 1 − 计划外全系统停机时间 ÷ 统计期间分钟数（多家医院合并时为各医院期间分钟数之和）。"
        "停机时间从解决记录所述全系统停机时刻起至解决时止，截取在统计期间内的部分。",
    ),
    (
        "Downtime inside an agreed maintenance window for the whole site (up to when the window really ended) is "
        "planned: it is shown, but not counted as downtime; a window for one host does not excuse the whole system "
        "being down. Two incidents about one outage count its minutes once.",
        "在约定的全站维护窗口内（至窗口实际结束）的停机属于计划停机：单独列出，但不计入停机时间；"
        "仅针对单台主机的窗口不能抵消全系统停机。同一次停机有多张故障单时，其时长只计一次。",
    ),
    (
        "The commitment is the availability the contract promises; for a group of hospitals, the lowest of them.",
        "承诺可用性为合同约定值；多家医院合并时取其中最低值。",
    ),
    (
        "The software downtime budget is per calendar year in the hospital's time zone: the contract's yearly budget "
        "(four hours when the contract says nothing) against unplanned software downtime from 1 January up to the "
        "period's end.",
        "软件停机额度按医院所在时区的自然年计算：合同约定的年度额度（合同未约定时为四小时），"
        "对比自 1 月 1 日至期末的计划外软件停机时间。",
    ),
    (
        "Preventive maintenance counts the visits due in the period: done when completed, overdue when the "
        "window passed without completion; a finding stays open until the incident opened for it is resolved, and one "
        "for which no incident was opened stays open.",
        "预防性维护统计本期到期的巡检：已完成计为完成，超出窗口未完成计为逾期；"
        "巡检发现的问题在其对应故障解决前保持未关闭，未开故障单的发现保持未关闭。",
    ),
    (
        "Monitoring counts the rule breaches raised in the period (DICOM ones are those of the DICOM node "
        "checks); a capacity forecast shows the latest prediction per host and rule, in months left from the "
        "period's end.",
        "远程监控统计本期触发的规则告警（DICOM 告警即 DICOM 节点检测的告警）；"
        "容量预测列出每台主机每条规则的最新预测，以距期末的剩余月数表示。",
    ),
    (
        "A DICOM node is down from the breach of its echo check until its recovery (until the period's end when it "
        "has not recovered); its availability is 1 − minutes down ÷ period minutes. A node never down is not listed.",
        "DICOM 节点自回显检测告警起至恢复止视为中断（未恢复的计至期末）；其可用性 = 1 − 中断分钟 ÷ 统计期间分钟数。"
        "从未中断的节点不列出。",
    ),
    (
        "Software compares each component the site's agents last reported with the latest release of its product in "
        "the catalogue; upgrades done are the sites the hospital verified in the period, upgrades planned those of "
        "campaigns not yet finished.",
        "软件部分将现场代理最近上报的各组件版本与发布目录中该产品的最新版本对比；已完成的升级指本期内医院确认的站点，"
        "计划中的升级指尚未结束的升级计划中的站点。",
    ),
    (
        "Recurring problems are those solved more than once in the period with the same cause, product and "
        "module; the five most frequent are shown.",
        "反复出现的问题指本期内同一原因、产品和模块的故障解决超过一次；列出最常见的五项。",
    ),
    (
        "Holes are data the figures cannot stand on: an incident not yet resolved (no root cause) or never "
        "acknowledged. A hole may be waived with a written reason; waived holes stay listed with that reason.",
        "数据缺口指统计无法依据的数据：尚未解决（无根本原因）或从未确认的故障。数据缺口可附书面理由豁免，"
        "豁免后仍连同理由列出。",
    ),
    (
        "The previous period and the same period a year before are counted by the same rules.",
        "上期和去年同期按相同规则统计。",
    ),
]
