"""The [verification] and [diligence] tables of the configuration."""

from __future__ import annotations

from datetime import timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from dossier.config import Config
from dossier.domain.local_time import local_zone
from dossier.verification.enums import Method

EVIDENCE_KINDS = ("photo", "video", "audio", "other")


class VerificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    two_person_methods: list[Method] = Field(default_factory=lambda: [Method.SITE_VISIT])
    future_tolerance_seconds: int = Field(300, ge=0, le=86_400)
    evidence_types: dict[str, str] = Field(default_factory=dict)

    @field_validator("evidence_types")
    @classmethod
    def _every_kind(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [kind for kind in EVIDENCE_KINDS if kind not in value]
        if missing:
            raise ValueError(f"evidence_types needs a document type for {missing} (缺少证据文档类型)")
        return value

    _zone: timezone = PrivateAttr(default=timezone(timedelta(hours=8)))

    @property
    def local_zone(self) -> timezone:
        """[locale]'s wall clock (one home for it), carried here for the verification code's convenience."""
        return self._zone


class DiligenceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_types: list[str] = Field(default_factory=list)
    receipt_types: list[str] = Field(default_factory=list)


def verification_settings(config: Config) -> VerificationSettings:
    settings = config.section("verification", VerificationSettings)
    settings._zone = local_zone(config)
    return settings


def diligence_settings(config: Config) -> DiligenceSettings:
    return config.section("diligence", DiligenceSettings)
