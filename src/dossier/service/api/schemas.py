"""What the API answers with: field names in English; labels (``*_label``) in Chinese for people."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

BORROWER_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "key": "91350205MA2XK7Q396",
    "name": "厦门恒信达贸易有限公司",
    "customer_type": "enterprise",
    "officer": "李晓峰",
    "legal_hold": False,
    "documents": 12,
    "created_at": "2026-11-28T08:00:00+00:00",
    "updated_at": "2026-11-28T08:00:00+00:00",
}
DOCUMENT_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "borrower_id": 1,
    "loan_contract_number": "JK2026-000318",
    "category": "contracts",
    "category_label": "合同类",
    "doc_type": "loan-contract",
    "doc_type_label": "借款合同",
    "title": "流动资金借款合同",
    "doc_date": "2026-03-18",
    "sha256": "9f2c…",
    "size": 48213,
    "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pages": None,
    "original_name": None,
    "file_name": "借款合同-JK2026-000318.docx",
    "source": "generated",
    "version": 1,
    "version_of": None,
    "flags": [],
    "details": {"kind": "loan-contract"},
    "actor": "lixf",
    "filed_at": "2026-11-28T08:00:00+00:00",
}


class Problem(BaseModel):
    path: str = Field(description="Where in the input (字段路径)")
    label: str = Field(description="The field's Chinese label (中文名称)")
    reason: str = Field(description="What is wrong (问题)")


class ValidationFailed(BaseModel):
    detail: str
    problems: list[Problem]
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "input failed validation (输入校验未通过)",
                    "problems": [
                        {"path": "borrower.id_number", "label": "身份证号码", "reason": "check digit wrong"}
                    ],
                }
            ]
        }
    )


class Message(BaseModel):
    detail: str


class Loan(BaseModel):
    id: int
    contract_number: str
    receipt_numbers: list[str]
    product: str | None
    product_label: str | None = None
    guarantee_methods: list[str]
    amount: Decimal | None
    term_months: int | None
    start_date: date | None
    maturity_date: date | None
    officer: str | None
    settled_on: date | None
    legal_hold: bool


class Borrower(BaseModel):
    id: int
    key: str = Field(description="Resident ID number or unified social credit code (证件号码)")
    name: str
    customer_type: str
    officer: str | None
    legal_hold: bool
    documents: int | None = None
    created_at: datetime
    updated_at: datetime
    model_config = ConfigDict(json_schema_extra={"examples": [BORROWER_EXAMPLE]})


class BorrowerPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[Borrower]


class BorrowerDetail(Borrower):
    loans: list[Loan]


class Rendition(BaseModel):
    """Another form of the document's content, filed beside it (副本), e.g. the PDF/A of a DOCX."""

    id: int
    document_id: int
    kind: str = Field(
        description="pdf-a: the PDF/A-2b archival rendition (归档PDF); pdf: an older PDF, not PDF/A"
    )
    kind_label: str
    file_name: str
    sha256: str
    size: int
    media_type: str
    pages: int | None
    filed_at: datetime
    download_url: str = ""

    @model_validator(mode="after")
    def _url(self) -> Rendition:
        # Downloaded by the document's id, never by path: every answer that lists a rendition links it.
        if not self.download_url:
            self.download_url = f"/api/v1/documents/{self.document_id}/download?rendition={self.kind}"
        return self


class HitRendition(BaseModel):
    kind: str
    download_url: str


class Document(BaseModel):
    id: int
    borrower_id: int
    loan_contract_number: str | None
    category: str
    category_label: str
    doc_type: str
    doc_type_label: str
    title: str
    doc_date: date | None
    sha256: str
    size: int
    media_type: str
    pages: int | None
    original_name: str | None
    file_name: str
    source: str
    version: int
    version_of: int | None
    flags: list[str]
    details: dict[str, Any]
    actor: str
    filed_at: datetime
    download_url: str | None = None
    renditions: list[Rendition] = Field(
        default_factory=list, description="The document's other forms, e.g. its PDF/A (副本)"
    )
    model_config = ConfigDict(json_schema_extra={"examples": [DOCUMENT_EXAMPLE]})


class Category(BaseModel):
    key: str
    number: int
    label: str
    folder: str
    documents: list[Document]


class Event(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    target: str
    borrower_key: str | None
    details: dict[str, Any]
    hash: str


class DocumentDetail(Document):
    versions: list[Document]
    events: list[Event]


class GenerateRequest(BaseModel):
    kind: str = Field(description="A kind's name or Chinese title, see GET /kinds (文书种类)")
    data: dict[str, Any] = Field(description="The kind's input, as its JSON Schema describes (输入数据)")
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "collection",
                    "data": {"notice_date": "2026-11-28", "...": "see /kinds/collection/example"},
                }
            ]
        }
    )


class Generated(BaseModel):
    kind: str
    title: str
    file_name: str
    warnings: list[str]
    documents: list[Document]


class UploadResult(BaseModel):
    item_id: int = Field(description="The inbox journal's number for this file (收件编号)")
    outcome: str = Field(description="filed, duplicate or quarantined")
    document: Document | None = None
    reason: str | None = Field(None, description="Why it went to quarantine (隔离原因)")
    message: str | None = None


class Kind(BaseModel):
    name: str
    title: str
    category: str
    doc_type: str
    schema_url: str
    example_url: str


class SearchHit(BaseModel):
    document_id: int
    score: float
    title: str
    borrower_key: str
    borrower_name: str
    category: str
    category_label: str
    doc_type: str
    doc_type_label: str
    doc_date: date | None
    contract_number: str | None
    snippets: list[str] = Field(description="Text around each match, each match inside 【】 (命中片段)")
    download_url: str
    renditions: list[HitRendition] = Field(
        default_factory=list, description="The document's other forms, e.g. its PDF/A (副本)"
    )


class SearchResult(BaseModel):
    query: str
    filters: dict[str, str]
    total: int
    offset: int
    limit: int
    pending: int = Field(description="Documents filed but not yet searchable (待索引)")
    hits: list[SearchHit]


class QuarantineEntry(BaseModel):
    id: int
    name: str
    inbox_path: str
    reason: str
    message: str
    present: bool
    sha256: str | None
    size: int | None
    media_type: str | None
    arrived_at: str
    quarantined_at: str | None
    candidates: list[str]
    guess: dict[str, Any]


class AssignRequest(BaseModel):
    borrower: str = Field(description="Borrower key (借款人证件号码)")
    doc_type: str = Field(description="Document type key or label (文件类型)")
    category: str | None = Field(None, description="Archive category; by default the type's (档案类别)")


class Assigned(BaseModel):
    status: str
    document_id: int
    path: str


class OfficerAssignment(BaseModel):
    username: str = Field(description="The officer's user name (客户经理用户名)")


class AuditVerify(BaseModel):
    ok: bool
    events: int
    problems: list[dict[str, Any]]


class User(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    active: bool
    service: bool = Field(False, description="A service account: no password, API tokens only (服务账号)")


class NewUser(BaseModel):
    username: str = Field(max_length=50)
    role: str = Field(description="officer, archivist, auditor or admin", max_length=20)
    password: str | None = Field(
        None, min_length=8, max_length=200, description="Required, except for a service account"
    )
    display_name: str | None = Field(
        None, max_length=100, description="Also the officer name documents carry (姓名)"
    )
    service: bool = Field(False, description="Another system, signing in with API tokens only (服务账号)")


class NewToken(BaseModel):
    username: str | None = Field(
        None, max_length=50, description="Whose token (default: yours; an admin may name a service account)"
    )
    name: str = Field("api", max_length=100, description="What system uses it (用途)")
    days: int | None = Field(None, ge=1, le=3650, description="Shorter life than [access] token_max_age_days")


class Token(BaseModel):
    id: int
    username: str
    name: str
    token: str = Field(description="Shown once; store it now (仅显示一次)")
    expires_at: datetime | None = None


class TokenInfo(BaseModel):
    id: int
    username: str
    name: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: str
    state_label: str


class NewPassword(BaseModel):
    password: str = Field(min_length=8, max_length=200, description="The new password (新密码)")


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200, description="The current password (当前密码)")
    new_password: str = Field(min_length=8, max_length=200, description="The new password (新密码)")
