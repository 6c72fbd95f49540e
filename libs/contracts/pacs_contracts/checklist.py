"""The PM check list's words in both languages, (Chinese, English): the same on the report and on the pages."""

from __future__ import annotations

from pacs_contracts.api.pm import ChecklistItem, CheckResult
from pacs_contracts.common import Severity

LABELS: dict[ChecklistItem, tuple[str, str]] = {
    ChecklistItem.server_load: ("服务器负载", "Server CPU load"),
    ChecklistItem.server_memory: ("服务器内存使用", "Server memory use"),
    ChecklistItem.system_disk: ("系统盘空间", "System disk space"),
    ChecklistItem.fans_cooling: ("风扇与散热", "Fans and cooling"),
    ChecklistItem.ha_state: ("双机热备状态", "High-availability state"),
    ChecklistItem.storage_indicators: ("存储设备指示灯", "Storage status indicators"),
    ChecklistItem.storage_fans_capacity: ("存储风扇与容量", "Storage fans and capacity"),
    ChecklistItem.san_switch: ("SAN 光纤交换机", "SAN switch"),
    ChecklistItem.database_backups: ("数据库备份", "Database backups"),
    ChecklistItem.database_locks: ("数据库锁", "Database locks"),
    ChecklistItem.database_file_growth: ("数据库文件增长", "Database file growth"),
    ChecklistItem.tablespace_use: ("表空间使用率", "Tablespace use"),
    ChecklistItem.top_wait_events: ("主要等待事件", "Top wait events"),
    ChecklistItem.pacs_processes: ("PACS 进程与服务", "PACS processes and services"),
    ChecklistItem.admin_passwords: ("管理员密码", "Administrator passwords"),
    ChecklistItem.remote_links: ("远程连接", "Remote links"),
    ChecklistItem.log_review: ("日志检查", "Log review"),
}

RESULT_LABELS: dict[CheckResult, tuple[str, str]] = {
    CheckResult.ok: ("正常", "OK"),
    CheckResult.attention: ("需关注", "Attention"),
    CheckResult.fault: ("故障", "Fault"),
}

SEVERITY_LABELS: dict[Severity, tuple[str, str]] = {
    Severity.critical: ("严重", "Critical"),
    Severity.major: ("重要", "Major"),
    Severity.minor: ("一般", "Minor"),
}
