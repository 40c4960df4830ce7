"""The lending bank or branch, as it appears on contracts and notices."""

from __future__ import annotations

from dossier.domain.identifiers.types import CreditCode
from dossier.domain.models.fields import labelled
from dossier.domain.models.party import DomainModel


class Lender(DomainModel):
    name: str = labelled("贷款人名称", min_length=1, max_length=200)
    credit_code: CreditCode | None = labelled("统一社会信用代码", default=None)
    principal: str | None = labelled("负责人", default=None, max_length=50)
    address: str | None = labelled("地址", default=None, max_length=200)
    phone: str | None = labelled("联系电话", default=None, max_length=40)
