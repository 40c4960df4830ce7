"""Collateral (抵押物/质押物) as listed in the investigation report and the mortgage contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from dossier.domain.identifiers.types import CreditCode, ResidentIdNumber
from dossier.domain.models.fields import PositiveMoney, labelled
from dossier.domain.models.party import DomainModel


class Collateral(DomainModel):
    name: str = labelled("抵押物名称", min_length=1, max_length=200)
    certificate_no: str | None = labelled("权证号", default=None, max_length=100)
    unit_no: str | None = labelled("不动产单元号", default=None, max_length=40)
    location: str | None = labelled("坐落", default=None, max_length=300)
    area: Decimal | None = labelled("面积(平方米)", default=None, gt=0, decimal_places=4)
    quantity: str | None = labelled("数量", default=None, max_length=50)
    owner_name: str | None = labelled("所有权人", default=None, max_length=200)
    owner_id_number: ResidentIdNumber | None = labelled("所有权人身份证号", default=None)
    owner_credit_code: CreditCode | None = labelled("所有权人统一社会信用代码", default=None)
    appraised_value: PositiveMoney = labelled("评估价值")
    appraiser: str | None = labelled("评估机构", default=None, max_length=200)
    appraisal_report_no: str | None = labelled("评估报告号", default=None, max_length=100)
    appraisal_date: date | None = labelled("评估日期", default=None)
    registered: bool = Field(default=False, title="已办理抵押登记")
