"""Public request and response models of the HTTP APIs (XCreate / XPublic), one module per bounded context."""

from pacs_contracts.api.audit import AuditActor, AuditRecordPublic, AuditVerification
from pacs_contracts.api.dicom import (
    AE_TITLE_MAX,
    AeTitle,
    DicomHost,
    DicomNodeCreate,
    DicomNodeHealth,
    DicomNodePublic,
    DicomProbePublic,
    DicomProbeSummary,
)
from pacs_contracts.api.engineers import (
    MAX_SHIFT,
    MIN_SHIFT,
    EngineerCreate,
    EngineerPublic,
    EngineerRole,
    OnCallPublic,
    RosterOverride,
    RosterPublic,
    RosterPut,
)
from pacs_contracts.api.faults import (
    CallCreate,
    CallPublic,
    FaultAccepted,
    FaultCreate,
    FaultPublic,
    SiteKeyCreate,
    SiteKeyCreated,
    SiteKeyPublic,
)
from pacs_contracts.api.incidents import (
    BoardCell,
    BoardPublic,
    EscalationCreate,
    IncidentPublic,
    PendingCreate,
    ReassignmentCreate,
    ReopenCreate,
    ResolutionCreate,
)
from pacs_contracts.api.knowledge import (
    KnowledgeCaseCreate,
    KnowledgeCasePublic,
    KnowledgeEscalation,
    KnowledgeHit,
    KnowledgeImported,
    KnowledgeResults,
    Tag,
    Tags,
)
from pacs_contracts.api.maintenance import (
    MAX_MAINTENANCE,
    MaintenanceKind,
    MaintenanceWindowCreate,
    MaintenanceWindowPublic,
)
from pacs_contracts.api.monitoring import (
    AlertmanagerAccepted,
    AlertmanagerAlert,
    AlertmanagerWebhook,
    HeartbeatAccepted,
    HeartbeatCreate,
    LinkPublic,
    MetricBatch,
    MetricBatchAccepted,
    MetricSample,
    RuleStatePublic,
    SiteHealth,
)
from pacs_contracts.api.notifications import (
    DEFAULT_RULES,
    Contacts,
    DeliveryAttempt,
    DeliveryPublic,
    NotificationPublic,
    NotificationRule,
    OfficeHours,
    PushTarget,
)
from pacs_contracts.api.pm import (
    ChecklistEntry,
    ChecklistItem,
    CheckResult,
    FollowUp,
    PmPlanPublic,
    PmPlanTerms,
    PmStatus,
    PmVisitCompletion,
    PmVisitPublic,
    Reschedule,
    RescheduleEntry,
)
from pacs_contracts.api.shared import Page, ProblemDetails
from pacs_contracts.api.sites import (
    DEFAULT_LADDER,
    CalendarTerms,
    ContractTerms,
    LadderStep,
    ServiceNow,
    SiteCreate,
    SitePublic,
    WorkingHours,
)

__all__ = [
    "AE_TITLE_MAX", "DEFAULT_LADDER", "DEFAULT_RULES", "MAX_MAINTENANCE", "MAX_SHIFT", "MIN_SHIFT", "AeTitle",
    "AlertmanagerAccepted", "AlertmanagerAlert", "AlertmanagerWebhook", "AuditActor", "AuditRecordPublic",
    "AuditVerification", "BoardCell", "BoardPublic", "CalendarTerms", "CallCreate", "CallPublic", "CheckResult",
    "ChecklistEntry", "ChecklistItem", "Contacts", "ContractTerms", "DeliveryAttempt", "DeliveryPublic",
    "DicomHost", "DicomNodeCreate", "DicomNodeHealth", "DicomNodePublic", "DicomProbePublic", "DicomProbeSummary",
    "EngineerCreate", "EngineerPublic", "EngineerRole", "EscalationCreate", "FaultAccepted", "FaultCreate",
    "FaultPublic", "FollowUp", "HeartbeatAccepted", "HeartbeatCreate", "IncidentPublic", "KnowledgeCaseCreate",
    "KnowledgeCasePublic", "KnowledgeEscalation", "KnowledgeHit", "KnowledgeImported", "KnowledgeResults",
    "LadderStep", "LinkPublic", "MaintenanceKind", "MaintenanceWindowCreate", "MaintenanceWindowPublic",
    "MetricBatch", "MetricBatchAccepted", "MetricSample", "NotificationPublic", "NotificationRule", "OfficeHours",
    "OnCallPublic", "Page", "PendingCreate", "PmPlanPublic", "PmPlanTerms", "PmStatus",
    "PmVisitCompletion", "PmVisitPublic", "ProblemDetails", "PushTarget", "ReassignmentCreate", "ReopenCreate",
    "Reschedule", "RescheduleEntry", "ResolutionCreate", "RosterOverride", "RosterPublic", "RosterPut",
    "RuleStatePublic", "ServiceNow", "SiteCreate", "SiteHealth", "SiteKeyCreate", "SiteKeyCreated",
    "SiteKeyPublic", "SitePublic", "Tag", "Tags", "WorkingHours",
]  # fmt: skip
