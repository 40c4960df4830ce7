"""Parties to a loan: natural persons, sole proprietors, enterprises, spouses, shareholders, guarantors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Tag,
    field_validator,
    model_validator,
)

from dossier.domain.enums import CustomerType, MaritalStatus, PartyKind, PremisesType
from dossier.domain.identifiers import parse_resident_id
from dossier.domain.identifiers.types import CreditCode, MobileNumber, ResidentIdNumber
from dossier.domain.models.fields import NonNegativeMoney, Percent, labelled

_SHARE_TOTAL = Decimal(100)


def _customer_type(value: Any) -> Any:
    # The discriminator accepts Chinese values ("企业"); the literal check needs the enum member.
    try:
        return CustomerType(value) if isinstance(value, str) else value
    except ValueError:
        return value


T = TypeVar("T")
_Tag = Annotated[T, BeforeValidator(_customer_type)]


class DomainModel(BaseModel):
    """Base of every input model: unknown fields are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # A NUL is no text anyone wrote, and PostgreSQL's text cannot hold one: a name or number with one
        # would fail in the catalog when the document is filed, not here with its field named.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character (含有空字符)")
        return value


class PersonRef(DomainModel):
    """A person named with an ID number: a spouse, a legal representative, an investigator's subject."""

    name: str = labelled("姓名", min_length=1, max_length=50)
    id_number: ResidentIdNumber = labelled("身份证号")

    @property
    def sex(self) -> str:
        return parse_resident_id(self.id_number).sex

    @property
    def birth_date(self) -> date:
        return parse_resident_id(self.id_number).birth_date

    def age(self, on: date) -> int:
        return parse_resident_id(self.id_number).age(on)


class Person(PersonRef):
    """A natural person with the fields of domain.md §1.1 (Borrower, person)."""

    marital_status: MaritalStatus = labelled("婚姻状况")
    spouse: PersonRef | None = labelled("配偶", default=None)
    id_validity: str | None = labelled("身份证有效期限", default=None, max_length=40)
    hukou_address: str | None = labelled("户籍地址", default=None, max_length=200)
    address: str | None = labelled("住址", default=None, max_length=200)
    occupation: str | None = labelled("职业", default=None, max_length=100)
    employer: str | None = labelled("工作单位", default=None, max_length=200)
    family_size: int | None = labelled("家庭人口", default=None, ge=1, le=30)
    mobile: MobileNumber | None = labelled("手机号码", default=None)

    @model_validator(mode="after")
    def _spouse_when_married(self) -> Person:
        if self.marital_status is MaritalStatus.MARRIED and self.spouse is None:
            raise ValueError("spouse is required when married (已婚须填写配偶姓名及身份证号)")
        if self.spouse is not None and self.spouse.id_number == self.id_number:
            raise ValueError("spouse has the borrower's own ID number (配偶身份证号与本人相同)")
        return self


class Shareholder(DomainModel):
    name: str = labelled("股东名称", min_length=1, max_length=200)
    kind: PartyKind = labelled("股东类型", default=PartyKind.PERSON)
    id_number: ResidentIdNumber | None = labelled("身份证号", default=None)
    credit_code: CreditCode | None = labelled("统一社会信用代码", default=None)
    contribution: NonNegativeMoney = labelled("出资额")
    share_percent: Percent = labelled("持股比例(%)")

    @model_validator(mode="after")
    def _identifier_fits_kind(self) -> Shareholder:
        _require_identifier(self.kind, self.id_number, self.credit_code)
        return self


class Enterprise(DomainModel):
    """An enterprise with the fields of domain.md §1.1 (Borrower, enterprise)."""

    name: str = labelled("企业名称", min_length=1, max_length=200)
    credit_code: CreditCode = labelled("统一社会信用代码")
    enterprise_type: str | None = labelled("企业类型", default=None, max_length=100)
    established: date | None = labelled("成立日期", default=None)
    registered_capital: NonNegativeMoney | None = labelled("注册资本", default=None)
    paid_in_capital: NonNegativeMoney | None = labelled("实收资本", default=None)
    legal_representative: PersonRef = labelled("法定代表人")
    actual_controller: str | None = labelled("实际控制人", default=None, max_length=100)
    shareholders: list[Shareholder] = labelled("股东", default_factory=list)
    business_scope: str | None = labelled("经营范围", default=None, max_length=2000)
    premises: PremisesType | None = labelled("经营场所", default=None)
    lease_until: date | None = labelled("租期至", default=None)
    industry: str | None = labelled("所属行业", default=None, max_length=100)
    employees: int | None = labelled("员工人数", default=None, ge=0)
    address: str | None = labelled("住所", default=None, max_length=200)
    mobile: MobileNumber | None = labelled("联系电话", default=None)

    @model_validator(mode="after")
    def _shares_sum_to_hundred(self) -> Enterprise:
        if self.shareholders:
            total = sum((s.share_percent for s in self.shareholders), Decimal(0))
            if total != _SHARE_TOTAL:
                raise ValueError(
                    f"shareholdings sum to {total} %, not 100 % (股东持股比例合计须为100%，现为{total}%)"
                )
        if self.premises is PremisesType.LEASED and self.lease_until is None:
            raise ValueError("a leased premises needs its lease end date (租赁经营场所须填写租期至)")
        return self

    def years_in_business(self, on: date) -> int | None:
        if self.established is None:
            return None
        years = on.year - self.established.year
        return years - ((on.month, on.day) < (self.established.month, self.established.day))


class PersonBorrower(Person):
    customer_type: _Tag[Literal[CustomerType.PERSON]] = labelled("客户类型", default=CustomerType.PERSON)

    @property
    def key(self) -> str:
        return self.id_number


class BusinessOwnerBorrower(Person):
    """个体工商户: a person trading under a business licence with its own credit code."""

    customer_type: _Tag[Literal[CustomerType.BUSINESS_OWNER]] = labelled(
        "客户类型", default=CustomerType.BUSINESS_OWNER
    )
    business_name: str = labelled("字号名称", min_length=1, max_length=200)
    credit_code: CreditCode = labelled("统一社会信用代码")
    business_scope: str | None = labelled("经营范围", default=None, max_length=2000)
    business_address: str | None = labelled("经营场所", default=None, max_length=200)
    premises: PremisesType | None = labelled("经营场所性质", default=None)
    established: date | None = labelled("成立日期", default=None)

    @property
    def key(self) -> str:
        return self.id_number


class EnterpriseBorrower(Enterprise):
    customer_type: _Tag[Literal[CustomerType.ENTERPRISE]] = labelled(
        "客户类型", default=CustomerType.ENTERPRISE
    )

    @property
    def key(self) -> str:
        return self.credit_code


def _borrower_tag(value: Any) -> str | None:
    raw = (
        value.get("customer_type", "person")
        if isinstance(value, dict)
        else getattr(value, "customer_type", None)
    )
    try:
        return CustomerType(raw).value
    except ValueError:
        return None


Borrower = Annotated[
    Annotated[PersonBorrower, Tag(CustomerType.PERSON.value)]
    | Annotated[BusinessOwnerBorrower, Tag(CustomerType.BUSINESS_OWNER.value)]
    | Annotated[EnterpriseBorrower, Tag(CustomerType.ENTERPRISE.value)],
    Discriminator(
        _borrower_tag,
        custom_error_type="customer_type",
        custom_error_message=f"unknown customer type (客户类型不正确); accepted: {CustomerType.accepted()}",
    ),
]
"""A borrower of any customer type, chosen by ``customer_type`` (English or Chinese value)."""


class Party(DomainModel):
    """Any party named on a notice or contract: a person (ID number) or an enterprise (credit code)."""

    kind: PartyKind = labelled("主体类型", default=PartyKind.PERSON)
    name: str = labelled("名称/姓名", min_length=1, max_length=200)
    id_number: ResidentIdNumber | None = labelled("身份证号", default=None)
    credit_code: CreditCode | None = labelled("统一社会信用代码", default=None)
    legal_representative: str | None = labelled("法定代表人", default=None, max_length=50)
    address: str | None = labelled("住所/送达地址", default=None, max_length=200)
    mobile: MobileNumber | None = labelled("联系电话", default=None)

    @model_validator(mode="after")
    def _identifier_fits_kind(self) -> Party:
        _require_identifier(self.kind, self.id_number, self.credit_code)
        return self

    @property
    def key(self) -> str:
        """The stable key of the party: its ID number or credit code."""
        return self.id_number or self.credit_code or ""


class Guarantor(Party):
    """A guarantor (保证人) with the fields of domain.md §1.1 section 6."""

    relation: str | None = labelled("与借款人关系", default=None, max_length=50)
    net_assets: NonNegativeMoney | None = labelled("净资产", default=None)
    guarantees_given: NonNegativeMoney | None = labelled("对外担保金额", default=None)


def _require_identifier(kind: PartyKind, id_number: str | None, credit_code: str | None) -> None:
    if kind is PartyKind.PERSON and not id_number:
        raise ValueError("a person needs an ID number (自然人须填写身份证号)")
    if kind is PartyKind.ENTERPRISE and not credit_code:
        raise ValueError("an enterprise needs a credit code (企业须填写统一社会信用代码)")
