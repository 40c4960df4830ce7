"""Due diligence you can prove: verification records (核实记录), their evidence, the diligence report.

    record_verification(archive, document_id, method, result, actor, evidence_paths=(), with_people=(),
                        claimed_at=None, place=None, note=None, corrects=None, *, aspect=None,
                        evidence_documents=()) -> VerificationRecord
    list_verifications(archive, *, borrower_key=None, document_id=None, loan=None, current_only=False)
    diligence_report(archive, borrower_key, loan_no=None, *, as_of=None, until_seq=None) -> Report
    record_report(archive, report, actor) -> Event      the report's fingerprint, in the audit chain

Records are audit events (action ``verify``) mirrored into ``verification_records``; the report is built
from the catalog and the chain only, and names the chain's head it was built at.
"""

from dossier.verification.enums import Aspect, Method, Result
from dossier.verification.evidence import EvidenceFile, EvidenceRef
from dossier.verification.records import (
    VerificationError,
    VerificationRecord,
    check_mirror,
    list_verifications,
    record_verification,
)
from dossier.verification.report import (
    Report,
    ReportCheck,
    RequiredCheck,
    TimelineEntry,
    check_report,
    diligence_report,
    record_report,
)

__all__ = [
    "Aspect",
    "EvidenceFile",
    "EvidenceRef",
    "Method",
    "Report",
    "ReportCheck",
    "RequiredCheck",
    "Result",
    "TimelineEntry",
    "VerificationError",
    "VerificationRecord",
    "check_mirror",
    "check_report",
    "diligence_report",
    "list_verifications",
    "record_report",
    "record_verification",
]
