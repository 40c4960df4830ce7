"""The due-diligence report as one printable HTML file in Simplified Chinese: inline CSS, no scripts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment

from dossier.domain.dates import format_cn_date
from dossier.verification.settings import verification_settings

if TYPE_CHECKING:
    from dossier.config import Config
    from dossier.verification.records import VerificationRecord
    from dossier.verification.report import Report

_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "SimSun",
       sans-serif; color: #1a1a1a; margin: 24px auto; max-width: 1180px; padding: 0 16px; font-size: 13px;
       line-height: 1.5; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #345; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 14px; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; }
th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 11px; word-break: break-all; }
.ok { color: #1b6e20; font-weight: 600; }
.bad { color: #b00020; font-weight: 600; }
.old { color: #777; text-decoration: line-through; }
.note { color: #444; font-size: 12px; }
footer { margin-top: 24px; color: #555; font-size: 12px; border-top: 1px solid #ccc; padding-top: 6px; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>{{ css | safe }}</style>
</head>
<body>
<h1>{{ title }}</h1>
<dl class="facts">
  <dt>借款人</dt><dd>{{ r.borrower_name }}（{{ r.borrower_key }}）</dd>
  <dt>客户经理</dt><dd>{{ r.officer or "—" }}</dd>
  {% if r.custody %}<dt>管户沿革</dt><dd>{% for h in r.custody %}{{ h.since }} 起 {{ h.holder }}
    {%- if h.previous %}（原 {{ h.previous }}）{% endif %}，{{ h.number }}
    {%- if not loop.last %}；{% endif %}{% endfor %}</dd>{% endif %}
  <dt>贷款</dt><dd>{% for loan in r.loans %}{{ loan.contract_number }}{% if loan.amount %}
    （{{ loan.amount }}元）{% endif %}{% if not loop.last %}；{% endif %}{% else %}—{% endfor %}</dd>
  <dt>截至日</dt><dd>{{ cn(r.as_of) }}</dd>
  <dt>审计链头</dt><dd>第{{ r.head_seq }}号事件 <span class="mono">{{ r.head_hash }}</span></dd>
  <dt>报告指纹</dt><dd><span class="mono">{{ r.fingerprint }}</span>{% if issued_seq %}
    （已记入审计日志第{{ issued_seq }}号事件）{% endif %}</dd>
</dl>

<h2>一、核实要求落实情况</h2>
{% if r.required %}
<table>
<thead><tr><th>贷款</th><th>项目</th><th>核实要求</th><th>文档</th><th>状态</th><th>核实记录</th><th>说明</th></tr></thead>
<tbody>
{% for c in r.required %}
<tr>
  <td>{{ c.loan }}</td><td>{{ c.label }}</td><td>{{ c.requirement }}</td>
  <td>{% if c.document_id %}{{ c.document_title }}（文档{{ c.document_id }}）{% else %}未归档{% endif %}</td>
  <td class="{{ 'ok' if c.status == 'present' else 'bad' }}">{{ c.status_label }}</td>
  <td>{% for v in c.records %}
    <div class="{{ '' if v.current else 'old' }}">第{{ v.id }}号：{{ v.method.label }}，{{ v.result.label }}，
      {{ people(v) }}，{{ when(v.claimed_at or v.recorded_at) }}
      {% if v.evidence %}，证据{{ v.evidence | length }}件{% endif %}
      {% if v.id in c.satisfied_by %} ✓{% endif %}</div>
    {% else %}—{% endfor %}</td>
  <td class="note">{{ c.note or "" }}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>检查清单未对本档案提出核实要求。</p>
{% endif %}

<h2>二、时间顺序记录</h2>
<p class="note">每一行对应审计日志中的一个事件；时间为档案系统记录该事件的时间（北京时间）。</p>
<table>
<thead><tr><th>记录时间</th><th>类别</th><th>文档</th><th>内容</th><th>操作人</th><th>事件</th></tr></thead>
<tbody>
{% for t in r.timeline %}
<tr>
  <td>{{ when(t.at) }}</td>
  <td>{{ t.kind_label }}</td>
  <td>{{ t.title }}<br><span class="note">{{ t.doc_type_label }} · 文档{{ t.document_id }}{% if t.loan %}
    · {{ t.loan }}{% endif %}</span></td>
  <td>{% if t.verification %}{% set v = t.verification %}
    <div class="{{ '' if v.current else 'old' }}">
      第{{ v.id }}号核实记录：{{ v.aspect.label }}，{{ v.method.label }}，
      结果<b>{{ v.result.label }}</b></div>
    <div>人员：{{ people(v) }}{% if v.claimed_at %}；核实时间：{{ when(v.claimed_at) }}{% endif %}
      {% if v.place %}；地点：{{ v.place }}{% endif %}</div>
    {% if v.corrects %}<div>更正第{{ v.corrects }}号记录</div>{% endif %}
    {% if v.corrected_by %}<div class="bad">已被第{{ v.corrected_by }}号记录更正</div>{% endif %}
    {% if v.note %}<div>备注：{{ v.note }}</div>{% endif %}
    {% for e in v.evidence %}<div class="note">证据：文档{{ e.document_id }} {{ e.original_name or "" }}
      {{ evidence_facts(e) }} <span class="mono">SHA-256 {{ e.sha256 }}</span></div>{% endfor %}
  {% else %}
    {% if t.doc_date %}文档日期 {{ cn(t.doc_date) }}<br>{% endif %}
    <span class="mono">{{ t.path or "" }}<br>SHA-256 {{ t.sha256 or "" }}</span>
  {% endif %}</td>
  <td>{{ t.actor }}</td>
  <td class="mono">第{{ t.seq }}号<br>{{ t.event_hash[:16] }}…</td>
</tr>
{% else %}
<tr><td colspan="6">无记录</td></tr>
{% endfor %}
</tbody>
</table>

{% if r.applications %}
<h2>三、授信申请流程</h2>
{% for a in r.applications %}
<p><b>授信申请 {{ a.number }}</b></p>
<table>
<thead><tr><th>事件</th><th>时间</th><th>办理人</th><th>操作</th><th>理由</th><th>所依据文件</th></tr></thead>
<tbody>
{% for p in a.path %}
<tr><td class="mono">#{{ p.seq }}</td><td>{{ p.at[:16].replace('T', ' ') }} UTC</td>
<td>{{ p.actor }}（{{ p.role_label }}）</td>
<td>{{ p.kind }}{% if p.from_label or p.to_label %}：{{ p.from_label }} → {{ p.to_label }}{% endif %}</td>
<td>{{ p.reasons|join('；') }}</td>
<td>{% for d in p.documents %}#{{ d.id }} {{ d.doc_type }} <span class="mono">{{ d.sha256[:16] }}…</span>
{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% endif %}

<footer>
本报告仅依据档案目录与审计日志生成。核实记录一经写入不可修改，更正以新记录形式追加；记录时间为写入时间，
核实时间为经办人所述时间。运行 <code>dossier audit verify</code> 可验证审计链与全部文件完整；
报告指纹为报告内容（不含打印时间）的 SHA-256。打印时间：{{ when(r.generated_at) }}。
</footer>
</body>
</html>
"""


def report_html(report: Report, config: Config, *, issued_seq: int | None = None) -> str:
    zone = verification_settings(config).local_zone

    def when(value: datetime | None) -> str:
        if value is None:
            return "—"
        local = value.astimezone(zone)
        return f"{format_cn_date(local.date())} {local:%H:%M}"

    def cn(value: date | None) -> str:
        return format_cn_date(value) if value else "—"

    def people(record: VerificationRecord) -> str:
        return "、".join(record.people)

    def evidence_facts(ref: Any) -> str:
        media = ref.media or {}
        parts = [{"photo": "照片", "video": "录像", "audio": "录音"}.get(ref.kind, "文件")]
        if media.get("captured_at"):
            parts.append(f"拍摄于 {media['captured_at']}")
        if media.get("recorded_at"):
            parts.append(f"录制于 {media['recorded_at']}")
        if media.get("duration_seconds") is not None:
            parts.append(f"时长 {media['duration_seconds']} 秒")
        gps = media.get("gps")
        if gps:
            parts.append(f"位置 {gps['lat']}, {gps['lon']}")
        return "，".join(parts)

    title = "尽职调查档案" + (f"（{report.loan}）" if report.loan else "")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_TEMPLATE)
    return template.render(
        title=title,
        css=_CSS,
        r=report,
        issued_seq=issued_seq,
        when=when,
        cn=cn,
        people=people,
        evidence_facts=evidence_facts,
    )
