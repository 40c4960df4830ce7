"""The completeness report as one self-contained HTML file: inline CSS, no scripts, no external assets,
in Simplified Chinese, laid out to print on A4 (``@media print``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from jinja2 import Environment

from dossier.archive.completeness.evaluate import CompletenessResult, ItemStatus, PortfolioSummary
from dossier.domain.dates import format_cn_date
from dossier.domain.enums import CustomerType

_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "SimSun",
       sans-serif; color: #1a1a1a; margin: 24px auto; max-width: 1180px; padding: 0 16px; font-size: 14px;
       line-height: 1.5; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #345; }
.meta { color: #555; margin: 0 0 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 14px;
           margin: 8px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; }
th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; white-space: nowrap; }
.status-missing { color: #b00020; }
.status-expired { color: #a35200; }
.status-overdue { color: #8a1c7c; }
.status-unverified { color: #8a5a00; }
.status-present { color: #1b6e20; }
.status-not-due, .status-not-applicable { color: #666; font-weight: normal; }
tr.problem td { background: #fff6f5; }
.hold { display: inline-block; border: 1px solid #b00020; color: #b00020; padding: 0 6px;
        border-radius: 3px; }
.summary td, .summary th { text-align: center; }
.note { color: #444; font-size: 12px; }
footer { margin-top: 28px; color: #777; font-size: 12px; border-top: 1px solid #ccc; padding-top: 6px; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  tr.problem td { background: none; }
  section.loan { break-before: auto; }
  .status { color: #000 !important; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css | safe }}</style>
</head>
<body>
{%- macro status(value) -%}
<span class="status status-{{ value }}">{{ labels[value] }}</span>
{%- endmacro %}
{%- macro counts_table(counts) %}
<table class="summary">
  <thead><tr>{% for s in statuses %}<th>{{ labels[s] }}</th>{% endfor %}<th>问题合计</th></tr></thead>
  <tbody><tr>{% for s in statuses %}<td class="num">{{ counts[s] }}</td>{% endfor %}
  <td class="num">{{ problems(counts) }}</td></tr></tbody>
</table>
{%- endmacro %}
<header>
<h1>{{ title }}</h1>
<p class="meta">检查基准日：{{ cn(as_of) }}　·　生成时间：{{ generated }}</p>
</header>
{% if result %}
<section class="borrower">
<dl class="facts">
  <dt>借款人</dt><dd>{{ result.borrower_name }}</dd>
  <dt>证件号码/统一社会信用代码</dt><dd>{{ result.borrower_key }}</dd>
  <dt>客户类型</dt><dd>{{ customer_type(result.customer_type) }}</dd>
  <dt>客户经理</dt><dd>{{ result.officer or "—" }}</dd>
  <dt>贷款笔数</dt><dd>{{ result.loans | length }}</dd>
  <dt>法律冻结</dt>
  <dd>{% if result.legal_hold %}<span class="hold">已冻结（禁止销毁）</span>{% else %}否{% endif %}</dd>
</dl>
{{ counts_table(result.counts) }}
{% if not result.loans %}<p>该借款人名下没有登记贷款，无可检查的清单。</p>{% endif %}
{% for loan in result.loans %}
<section class="loan">
<h2>合同编号 {{ loan.contract_number }}</h2>
<dl class="facts">
  <dt>适用清单</dt><dd>{{ loan.checklist_product_label }}
  {%- if loan.product_inferred %}（未登记产品，按客户类型推定）{% endif %}</dd>
  <dt>担保方式</dt><dd>{{ loan.guarantee_labels | join("、") or "—" }}</dd>
  <dt>客户经理</dt><dd>{{ loan.officer or "—" }}</dd>
  <dt>结清日期</dt><dd>{{ cn(loan.settled_on) }}</dd>
  <dt>问题项</dt><dd>{{ loan.score }}</dd>
  <dt>法律冻结</dt><dd>{% if loan.legal_hold %}<span class="hold">已冻结</span>{% else %}否{% endif %}</dd>
</dl>
<table class="items">
  <thead><tr><th>阶段</th><th>文件</th><th>状态</th><th>文件日期</th><th>基准日</th><th>有效至</th>
  <th>应检查日</th><th>文件编号</th><th>说明</th></tr></thead>
  <tbody>
  {% for item in loan.items %}
  <tr class="{{ 'problem' if item.status in problem_statuses else '' }}">
    <td>{{ item.stage_label }}</td>
    <td>{{ item.label }}</td>
    <td>{{ status(item.status.value) }}</td>
    <td>{{ cn(item.document_date) }}</td>
    <td>{% if item.anchor_date %}{{ item.anchor }} {{ cn(item.anchor_date) }}{% else %}—{% endif %}</td>
    <td>{{ cn(item.expires_on) }}</td>
    <td>{{ cn(item.due_date) }}</td>
    <td>{{ item.document_ids | join(", ") or "—" }}</td>
    <td class="note">{{ item.note or "" }}</td>
  </tr>
  {% endfor %}
  </tbody>
</table>
</section>
{% endfor %}
</section>
{% else %}
<section class="portfolio">
<dl class="facts">
  <dt>借款人户数</dt><dd>{{ summary.borrowers }}</dd>
  <dt>贷款笔数</dt><dd>{{ summary.loans }}</dd>
  {% if summary.officer %}<dt>客户经理</dt><dd>{{ summary.officer }}</dd>{% endif %}
  {% if summary.product %}<dt>产品</dt><dd>{{ summary.product }}</dd>{% endif %}
</dl>
{{ counts_table(summary.counts) }}
<h2>问题档案（问题多者在前）</h2>
<table class="files">
  <thead><tr><th>序号</th><th>借款人</th><th>证件号码/统一社会信用代码</th><th>客户经理</th><th>贷款笔数</th>
  <th>产品</th><th>{{ labels["missing"] }}</th><th>{{ labels["expired"] }}</th>
  <th>{{ labels["overdue"] }}</th>
  <th>问题合计</th><th>法律冻结</th></tr></thead>
  <tbody>
  {% for f in summary.files %}
  <tr class="{{ 'problem' if f.score else '' }}">
    <td class="num">{{ loop.index }}</td><td>{{ f.borrower_name }}</td><td>{{ f.borrower_key }}</td>
    <td>{{ f.officer or "—" }}</td><td class="num">{{ f.loans }}</td>
    <td>{{ f.products | join("、") or "—" }}</td>
    <td class="num">{{ f.counts["missing"] }}</td><td class="num">{{ f.counts["expired"] }}</td>
    <td class="num">{{ f.counts["overdue"] }}</td><td class="num">{{ f.score }}</td>
    <td>{% if f.legal_hold %}<span class="hold">已冻结</span>{% else %}否{% endif %}</td>
  </tr>
  {% else %}
  <tr><td colspan="11">没有符合条件的档案。</td></tr>
  {% endfor %}
  </tbody>
</table>
</section>
{% endif %}
<footer>由 dossier 生成。状态说明：已具备 = 文件齐全且在时效内；缺失 = 未归档；
已失效 = 已归档但超出时效或证件有效期；已逾期 = 周期性文件（贷后检查）已过应检查日；
未到期 = 首次应检查日尚未到；不适用 = 条件不成立。</footer>
</body>
</html>
"""


def _cn(value: date | None) -> str:
    if value is None:
        return "—"
    return format_cn_date(value)


def _customer_type(value: str) -> str:
    try:
        return CustomerType(value).label
    except ValueError:
        return value


def _render(*, title: str, result: CompletenessResult | None, summary: PortfolioSummary | None) -> str:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_TEMPLATE)
    as_of = result.as_of if result is not None else summary.as_of  # type: ignore[union-attr]  # callers give one
    return template.render(
        title=title,
        css=_CSS,
        result=result,
        summary=summary,
        as_of=as_of,
        generated=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
        labels={s.value: s.label for s in ItemStatus},
        statuses=[s.value for s in ItemStatus],
        problem_statuses={ItemStatus.MISSING, ItemStatus.EXPIRED, ItemStatus.OVERDUE},
        problems=lambda counts: counts["missing"] + counts["expired"] + counts["overdue"],
        cn=_cn,
        customer_type=_customer_type,
    )


def borrower_report_html(result: CompletenessResult) -> str:
    """One borrower's report: each loan's checklist items with their status and deciding dates."""
    return _render(title=f"信贷档案完整性检查报告 — {result.borrower_name}", result=result, summary=None)


def portfolio_report_html(summary: PortfolioSummary) -> str:
    """The portfolio summary: counts per status and the files with the most problems first."""
    return _render(title="信贷档案完整性检查汇总", result=None, summary=summary)
