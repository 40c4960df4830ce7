"""The credit arithmetic of dossier, as pure functions (no I/O).

Interest day counts, repayment schedules, penalty and compound interest, financial ratios, the
working-capital estimate, risk degree and credit grade, five-class floors, and the dates of post-loan
checks and maturity reminders. Rules and figures come from the configuration (``dossier.toml``); every
function taking ``config`` uses the shipped defaults when it is None. Money is Decimal rounded half-up
to the fen; dates are ``datetime.date``.
"""

from dossier.finance.classification import (
    FiveClass,
    days_past_due,
    dpd_floor,
    final_class,
    parse_five_class,
    rule_sets,
    worse,
)
from dossier.finance.daycount import days_between, simple_interest
from dossier.finance.inspection_cadence import (
    first_inspection_due,
    fund_use_check_due,
    inspection_interval_months,
    next_inspection_date,
)
from dossier.finance.penalty import (
    ChargeKind,
    OverdueCharges,
    PenaltyResult,
    compound_interest,
    overdue_charges,
    penalty_interest,
    penalty_rate,
)
from dossier.finance.ratios import (
    current_ratio,
    debt_to_asset,
    debt_to_income,
    guarantee_coverage,
    interest_coverage,
    mortgage_ratio,
    quick_ratio,
)
from dossier.finance.reminders import is_short_term, plan_ahead_date, reminder_due_date
from dossier.finance.risk import RiskDegree, credit_grade, risk_degree
from dossier.finance.schedule import (
    RepaymentMethod,
    ScheduleRow,
    build_schedule,
    parse_method,
    schedule_totals,
)
from dossier.finance.working_capital import (
    Turnover,
    WorkingCapitalEstimate,
    WorkingCapitalInput,
    estimate_working_capital,
)

__all__ = [
    "ChargeKind",
    "FiveClass",
    "OverdueCharges",
    "PenaltyResult",
    "RepaymentMethod",
    "RiskDegree",
    "ScheduleRow",
    "Turnover",
    "WorkingCapitalEstimate",
    "WorkingCapitalInput",
    "build_schedule",
    "compound_interest",
    "credit_grade",
    "current_ratio",
    "days_between",
    "days_past_due",
    "debt_to_asset",
    "debt_to_income",
    "dpd_floor",
    "estimate_working_capital",
    "final_class",
    "first_inspection_due",
    "fund_use_check_due",
    "guarantee_coverage",
    "inspection_interval_months",
    "interest_coverage",
    "is_short_term",
    "mortgage_ratio",
    "next_inspection_date",
    "overdue_charges",
    "parse_five_class",
    "parse_method",
    "penalty_interest",
    "penalty_rate",
    "plan_ahead_date",
    "quick_ratio",
    "reminder_due_date",
    "risk_degree",
    "rule_sets",
    "schedule_totals",
    "simple_interest",
    "worse",
]
