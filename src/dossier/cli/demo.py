"""`dossier demo`: the worked example `make run` shows, grown issue by issue into the full demo."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dossier.cli.configuration import cli_config, cli_config_path
from dossier.cli.output import console
from dossier.domain.capital import to_capital
from dossier.domain.dates import format_capital_date, format_cn_date
from dossier.domain.money import format_amount

DEMO_MARKER = ".dossier/made-by-demo"


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's output files.")] = Path("out/demo"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also make PDFs (needs LibreOffice).")] = True,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then add demo users and serve the archive (web pages and API).")
    ] = False,
    port: Annotated[int | None, typer.Option(help="Port for --serve (default: [service].port).")] = None,
) -> None:
    """Run the worked example: the arithmetic, then every document kind generated and filed into a demo
    archive, its completeness reviewed and its audit log verified; with --serve, the service on top."""
    _arithmetic(out)
    _archive(out, pdf=pdf)
    if serve:
        _serve(out / "archive", port)


# Demo sign-ins, one per role. The officer's name is the one the example documents carry.
DEMO_USERS = (
    ("archivist", "archivist", "档案员周敏", "demo-archivist"),
    ("officer", "officer", "李晓峰", "demo-officer"),
    ("auditor", "auditor", "审计员郑洁", "demo-auditor"),
    ("admin", "admin", "系统管理员", "demo-admin"),
)
# The borrowers the examples and the demo ledger name 李晓峰 for. A name grants nothing: the demo
# assigns them to the officer's account, as an archivist would.
DEMO_OFFICER_BORROWERS = ("officer", ("91350205MA2XK7Q396", "91350203MA2YK7L54P", "11010519491231002X"))


def _serve(home: Path, port: int | None) -> None:
    from dossier.service.settings import service_settings

    c = console()
    for username, role, name, password in DEMO_USERS:
        _step(
            c,
            f"用户 {name}",
            [
                "users",
                "add",
                username,
                "--role",
                role,
                "--name",
                name,
                "--password",
                password,
                "--home",
                str(home),
                "--actor",
                "demo",
            ],
        )
    officer, keys = DEMO_OFFICER_BORROWERS
    for key in keys:
        _step(
            c,
            f"分配借款人 assign {key} → {officer}",
            ["users", "assign", officer, key, "--home", str(home), "--actor", "demo"],
        )
    _drop_unplaceable_scan(home)
    from dossier.archive.home import Archive

    with Archive.open(home, config=cli_config()) as archive:
        settings = service_settings(archive.config)
    address = f"http://{settings.host}:{port or settings.port}/"
    c.rule("dossier 服务 the service")
    table = Table(title=f"打开 open {address}  (API: {address}api/v1/docs)")
    for heading in ("用户名 user", "密码 password", "角色 role", "姓名 name"):
        table.add_column(heading)
    for username, role, name, password in DEMO_USERS:
        table.add_row(username, password, role, name)
    c.print(table)
    c.print("收件箱 inbox (watched): " + str(home / "_inbox") + "    Ctrl-C 停止 stop")
    argv = ["serve", "--home", str(home), "--watch"]
    _step(c, "启动服务 serve", [*argv, "--port", str(port)] if port else argv)


def _drop_unplaceable_scan(home: Path) -> None:
    """A note no rule can place, so the archivist finds something waiting in quarantine."""
    import docx

    note = docx.Document()
    note.add_heading("情况说明", level=1)
    note.add_paragraph("本说明未载明借款人证件号码，需档案管理员人工归档。")
    note.save(str(home / "_inbox" / "情况说明-待归档.docx"))


def _step(c, title: str, argv: list[str]) -> int:
    from dossier.cli.app import main  # the demo drives the same commands a person types

    c.rule(title)
    c.print(f"$ dossier {' '.join(argv)}", style="dim")
    bank_file = cli_config_path()  # the steps run under the demo's own configuration
    return main(["--config", str(bank_file), *argv] if bank_file is not None else argv)


def _archive(out: Path, *, pdf: bool) -> None:
    import shutil

    from dossier.kinds.registry import all_kinds
    from dossier.render.pdf import find_soffice

    c = console()
    home = out / "archive"
    # Only a home this command made is ever removed, so a run never deletes anyone's real archive.
    if (home / DEMO_MARKER).exists():
        shutil.rmtree(home)
    _step(c, "建立档案库 init the archive home", ["init", "--home", str(home)])
    (home / DEMO_MARKER).write_text("made by dossier demo\n", encoding="utf-8")
    inputs = out / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    with_pdf = pdf and find_soffice() is not None
    for kind in all_kinds().values():
        source = inputs / f"{kind.name}.yaml"
        source.write_text(kind.example_text(), encoding="utf-8")
        argv = ["generate", kind.name, str(source), "--home", str(home), "-o", str(out / "documents")]
        _step(c, f"生成并归档 {kind.title}", [*argv, "--pdf"] if with_pdf else argv)
    _step(c, "借款人 borrowers", ["borrowers", "--home", str(home)])
    _step(c, "档案完整性 completeness", ["completeness", "--home", str(home)])
    _step(c, "全文检索 search: a name", ["search", "陈志远", "--home", str(home), "--limit", "3"])
    _step(
        c,
        "全文检索 search: a contract number",
        ["search", "JK2026-000318", "--home", str(home), "--limit", "3"],
    )
    _step(
        c,
        "档案卷 volume",
        ["volume", "91350205MA2XK7Q396", "-o", str(out / "volume.pdf"), "--home", str(home), "--force"],
    )
    _ledger(c, out, home)
    _diligence(c, out, home)
    _step(c, "审计链校验 audit verify", ["audit", "verify", "--home", str(home)])
    c.rule()
    c.print(f"文书副本 documents: {out / 'documents'}    档案库 archive home: {home}")


# The branch's ledger as the demo knows it: the example borrowers' loans, one overdue, one near maturity.
DEMO_AS_OF = "2026-11-28"
DEMO_LEDGER = (
    "借款合同编号,借据编号,借款人证件号码,借款人名称,业务品种,借款金额,年利率(%),还款方式,发放日,到期日,"
    "贷款余额,逾期本金,欠息,逾期起始日,上次检查日期,五级分类,客户经理,保证人证件号码",
    "JK2026-000318,JJ2026-000318-01,91350205MA2XK7Q396,厦门海沧示例贸易有限公司,小微流贷,1250000.00,3.85,"
    "按月付息到期还本,2026-03-20,2028-03-20,1250000.00,,,,2026-09-15,正常,李晓峰,",
    "JK2025-000123,JJ2025-000123-01,91350203MA2YK7L54P,厦门鑫海源贸易有限公司,流动资金,300000.00,4.35,"
    "按月付息到期还本,2025-09-20,2026-09-20,300000.00,300000.00,3262.50,2026-09-20,2026-06-30,关注,李晓峰,"
    "35020319780512031X",
    "JK2025-000456,JJ2025-000456-01,11010519491231002X,张三,个人经营,300000.00,3.45,"
    "按月付息到期还本,2025-12-28,2026-12-28,300000.00,,,,2026-08-20,正常,李晓峰,",
)
DEMO_BANK = """# The demo bank: what `dossier notices` prints as the lender.
[ledger.lender]
name = "厦门示例农村商业银行股份有限公司思明支行"
address = "福建省厦门市思明区示例路88号"
phone = "0592-5550123"
"""


def _ledger(c, out: Path, home: Path) -> None:
    ledger, bank = out / "ledger.csv", out / "bank.toml"
    ledger.write_text("\n".join(DEMO_LEDGER) + "\n", encoding="utf-8")
    bank.write_text(DEMO_BANK, encoding="utf-8")
    at = ["--as-of", DEMO_AS_OF, "--home", str(home)]
    _step(c, "贷款台账 ledger import", ["ledger", "import", str(ledger), *at])
    _step(c, "到期与逾期 due", ["due", *at])
    _step(c, "批量通知 notices", ["--config", str(bank), "notices", *at])
    _step(
        c,
        "月报 monthly report",
        ["report", "monthly", "--month", DEMO_AS_OF[:7], "-o", str(out / "reports"), "--home", str(home)],
    )


def _diligence(c, out: Path, home: Path) -> None:
    """The officer checks the loan contract's original, with a photo, then prints the diligence report."""
    from PIL import Image
    from sqlalchemy import select

    from dossier.archive.catalog.models import Document
    from dossier.archive.home import Archive

    with Archive.open(home, config=cli_config()) as archive:
        doc_id = archive.transaction(
            lambda s: (
                s.execute(select(Document.id).where(Document.doc_type == "loan-contract")).scalars().first()
            ),
            write=False,
        )
    if doc_id is None:
        return
    photo = out / "原件核对.jpg"
    Image.new("RGB", (640, 480), (235, 232, 220)).save(photo, "JPEG")
    _step(
        c,
        "核实记录 verify-doc",
        [
            "verify-doc",
            str(doc_id),
            "--method",
            "原件核对",
            "--result",
            "一致",
            "--actor",
            "李晓峰",
            "--note",
            "核对借款合同原件，签章一致",
            "--evidence",
            str(photo),
            "--home",
            str(home),
        ],
    )
    _step(
        c,
        "尽职报告 diligence",
        ["diligence", "91350205MA2XK7Q396", "--html", str(out / "diligence.html"), "--home", str(home)],
    )


def _arithmetic(out: Path) -> None:
    from dossier.domain.identifiers import parse_credit_code, parse_resident_id
    from dossier.finance.classification import dpd_floor
    from dossier.finance.penalty import penalty_interest
    from dossier.finance.schedule import RepaymentMethod, build_schedule, schedule_totals

    c = console()
    out.mkdir(parents=True, exist_ok=True)
    principal, rate, start = Decimal("100000.00"), Decimal("4.35"), date(2024, 1, 15)

    c.rule("dossier · 示例 worked example")
    borrower = parse_resident_id("11010519491231002X")
    company = parse_credit_code("91350200776049653A", config=cli_config())
    c.print(
        f"借款人身份证 11010519491231002X：有效，{borrower.sex}，生于 {format_cn_date(borrower.birth_date)}"
    )
    c.print(f"保证人统一社会信用代码 {company.code}：有效，{company.authority} · {company.org_type}")
    c.print(f"借款金额 {format_amount(principal)} 元，大写 {to_capital(principal)}")
    c.print(f"起始日 {format_cn_date(start)}（票据大写 {format_capital_date(start)}）")

    table = Table(title="还款方式比较 (12 个月, 年利率 4.35%)")
    for heading in ("还款方式", "首期还款", "末期还款", "利息合计"):
        table.add_column(heading, justify="right")
    for method in RepaymentMethod:
        rows = build_schedule(principal, rate, 12, method, start, config=cli_config())
        _, interest, _ = schedule_totals(rows)
        table.add_row(
            method.label,
            format_amount(rows[0].payment),
            format_amount(rows[-1].payment),
            format_amount(interest),
        )
    c.print(table)

    penalty = penalty_interest(
        Decimal("10000.00"), rate, date(2024, 3, 1), date(2024, 3, 31), config=cli_config()
    )
    c.print(
        f"逾期本金 10,000.00 元 30 天：罚息利率 {penalty.rate_percent}%，"
        f"罚息 {format_amount(penalty.amount)} 元"
    )
    for dpd in (0, 30, 120, 300, 400):
        c.print(f"逾期 {dpd} 天 → 五级分类不优于 {dpd_floor(dpd, config=cli_config())}")

    schedule_file = out / "schedule.csv"
    rows = build_schedule(principal, rate, 12, RepaymentMethod.ANNUITY, start, config=cli_config())
    lines = ["period,due_date,principal,interest,payment,balance"]
    lines += [
        f"{r.period},{r.due_date.isoformat()},{r.principal},{r.interest},{r.payment},{r.balance}"
        for r in rows
    ]
    schedule_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    c.print(f"等额本息还款计划表已写入 {schedule_file}")
