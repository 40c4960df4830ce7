"""The [process] table: flows of stages per product, and the 审贷分离 pairs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dossier.access.roles import Role
from dossier.config import Config
from dossier.process.enums import ActionKind


class StageRule(BaseModel):
    """One stage of a flow: who acts on it, how long it may take, and what blocks leaving it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    label: str = Field(min_length=1, max_length=20)
    role: Role
    limit_days: int = Field(0, ge=0, le=365)
    """处理时限 in working days; 0: none."""
    checklist: list[str] = Field(default_factory=list)
    """Stages of checklists.yaml (申请, 调查, 合同 …) whose items must be in order to leave this stage."""
    actions: list[ActionKind] = Field(default_factory=list)
    two_person: bool = False
    open_items_block: bool = False
    requires_one_of: list[str] = Field(default_factory=list)


class SeparationRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(min_length=1, max_length=40)
    stages: tuple[str, str]


class ProcessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_flow: str = "standard"
    products: dict[str, str] = Field(default_factory=dict)
    flows: dict[str, list[StageRule]]
    separation: list[SeparationRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProcessSettings:
        if self.default_flow not in self.flows:
            raise ValueError(f"default_flow {self.default_flow!r} is not a flow (默认流程不存在)")
        for product, flow in self.products.items():
            if flow not in self.flows:
                raise ValueError(f"products.{product}: no flow {flow!r} (流程不存在)")
        for name, stages in self.flows.items():
            keys = [s.key for s in stages]
            if len(stages) < 2 or len(set(keys)) != len(keys):
                raise ValueError(f"flows.{name}: needs two or more stages with distinct keys (环节配置有误)")
        every = {s.key for stages in self.flows.values() for s in stages}
        for pair in self.separation:
            unknown = [k for k in pair.stages if k not in every]
            if unknown:
                raise ValueError(f"separation {pair.rule}: unknown stages {unknown} (环节不存在)")
        return self

    def flow(self, product: str | None) -> tuple[str, list[StageRule]]:
        name = self.products.get(product or "", self.default_flow)
        return name, self.flows[name]


def process_settings(config: Config) -> ProcessSettings:
    return config.section("process", ProcessSettings)
