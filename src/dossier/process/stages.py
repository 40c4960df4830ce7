"""A product's flow: the ordered stages of an application and the questions asked of them."""

from __future__ import annotations

from dataclasses import dataclass

from dossier.process.settings import ProcessSettings, StageRule


@dataclass(frozen=True)
class Flow:
    name: str
    stages: tuple[StageRule, ...]

    @property
    def first(self) -> StageRule:
        return self.stages[0]

    @property
    def last(self) -> StageRule:
        return self.stages[-1]

    def get(self, key: str) -> StageRule:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def find(self, key_or_label: str) -> StageRule | None:
        wanted = key_or_label.strip()
        return next((s for s in self.stages if wanted in (s.key, s.label)), None)

    def index(self, key: str) -> int:
        return [s.key for s in self.stages].index(key)

    def after(self, key: str) -> StageRule:
        return self.stages[self.index(key) + 1]

    def label(self, key: str | None) -> str:
        if key is None:
            return ""
        stage = self.find(key)
        return stage.label if stage is not None else key


def flow_for(settings: ProcessSettings, product: str | None) -> Flow:
    name, stages = settings.flow(product)
    return Flow(name, tuple(stages))


def flow_named(settings: ProcessSettings, name: str) -> Flow:
    """An application keeps the flow it started in, even if [process.products] changes later."""
    stages = settings.flows.get(name) or settings.flows[settings.default_flow]
    return Flow(name, tuple(stages))
