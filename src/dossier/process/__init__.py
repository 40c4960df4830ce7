"""The credit process (授信申请): an application's path from 受理 to 放款 under 审贷分离.

One module per job: settings ([process]), stages (a product's flow), errors (refusals), store (the
application rows), gates (what blocks leaving a stage), separation (审贷分离), transitions (every move, an
audit event), overdue (处理时限 in working days), figures (conditions into the credit and contract
inputs), record (审批流程记录 from the chain), numbers (the monthly figures) and queue (who holds what).
"""
