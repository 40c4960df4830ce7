"""Roles and the permission table ([access] in the configuration)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dossier.access.throttle import ThrottleSettings
from dossier.config import Config
from dossier.domain.enums import LabeledEnum


class Role(LabeledEnum):
    OFFICER = ("officer", "客户经理")
    ARCHIVIST = ("archivist", "档案管理员")
    AUDITOR = ("auditor", "审计")
    ADMIN = ("admin", "管理员")
    # The credit process (审贷分离): each stage names the role that acts on it ([process]).
    REVIEWER = ("reviewer", "复核岗")
    RISK_MANAGER = ("risk-manager", "风险经理")
    APPROVER = ("approver", "审批人")


class Action(LabeledEnum):
    READ = ("read", "查看文书种类")
    GENERATE = ("generate", "生成文书")
    UPLOAD = ("upload", "上传资料")
    VIEW = ("view", "查看档案")
    SEARCH = ("search", "全文检索")
    COMPLETENESS = ("completeness", "完整性检查")
    PORTFOLIO = ("portfolio", "全部档案完整性")
    QUARANTINE = ("quarantine", "隔离区")
    ASSIGN = ("assign", "分配借款人")
    AUDIT = ("audit", "审计日志")
    EXPORT = ("export", "导出")
    VERIFY = ("verify", "核实记录")
    USERS = ("users", "用户与令牌")
    APPLY = ("apply", "提交授信申请")
    DECIDE = ("decide", "办理授信申请")
    APPLICATIONS = ("applications", "查看授信申请")
    HANDOVER = ("handover", "客户移交")
    TRANSFER = ("transfer", "移交资产保全")
    LEND = ("lend", "审批档案借阅")
    BORROW = ("borrow", "申请档案借阅")
    JOBS = ("jobs", "查看任务")
    RETRY_JOBS = ("retry-jobs", "重试任务")
    NOTICES = ("notices", "批量生成通知")


class AccessSettings(BaseModel):
    scoped_roles: list[Role] = Field(default_factory=lambda: [Role.OFFICER])
    session_hours: int = Field(12, ge=1, le=24 * 30)
    token_max_age_days: int = Field(90, ge=1, le=3650)
    """An API token stops working this long after it was made (also tokens made before a lower setting)."""
    password_cache_seconds: float = Field(60, ge=0, le=3600)
    """How long a successful HTTP Basic password check is remembered (0: never)."""
    password_threads: int = Field(2, ge=1, le=16)
    """Password checks (argon2) run at most this many at a time, off the event loop."""
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    permissions: dict[Action, list[Role]]

    def allows(self, role: Role | str, action: Action) -> bool:
        return Role(role) in self.permissions.get(action, [])

    def scoped(self, role: Role | str) -> bool:
        """Whether this role sees only its own borrowers."""
        return Role(role) in self.scoped_roles


def access_settings(config: Config) -> AccessSettings:
    return config.section("access", AccessSettings)
