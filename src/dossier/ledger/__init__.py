"""The loan ledger (贷款台账): import, timers, notices in batch, collection plans and portfolio reports.

import_ (CSV/XLSX rows → validated entries → catalog), store (ledger rows as plain views), due (every
timer on an as-of date), notices (generate and file what is due and not yet sent), plan (the next
collection step), report/ (monthly and 旬 statistics as DOCX and XLSX with charts).
"""
