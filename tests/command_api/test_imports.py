"""Statement imports over HTTP: every fixture file, duplicates, dry runs, bad files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.api import Api, User

# Real statement files from public sources (licences and sources in fixtures/SOURCES.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# file: (account currency, imported, rejected, sum of imported amounts, a description seen)
EXPECTED: dict[str, tuple[str, int, int, str, str]] = {
    "ofx/bank_medium.ofx": ("CAD", 3, 0, "-345.27", "MCDONALD'S #112"),
    "ofx/checking.ofx": ("USD", 3, 0, "-59.50", "AUTOMATIC WITHDRAWAL, ELECTRIC BILL"),
    "ofx/anzcc.ofx": ("AUD", 1, 0, "-5.50", "SOME MEMO"),
    "ofx/suncorp.ofx": ("AUD", 1, 0, "-16.85", "EFTPOS WDL HANDYWAY ALDI STORE"),
    "ofx/multiple_accounts2.ofx": ("USD", 0, 0, "0", ""),
    "ofx/ofx-v102-empty-tags.ofx": ("AUD", 1, 0, "12.34", "CBA:Transfer"),
    "ofx/fail_nice/date_missing.ofx": ("USD", 0, 3, "0", ""),
    "ofx/fail_nice/decimal_error.ofx": ("CAD", 0, 1, "0", ""),
    "ofx/fail_nice/empty_balance.ofx": ("CAD", 1, 0, "120", "Foobar"),
    # A money-market account's sub-cent USD amounts (115.8331) are kept exactly, not rounded.
    "ofx/fidelity-savings.ofx": ("USD", 4, 0, "-1778.3952", "TRANSFERRED FROM VS X10-08144"),
    "ofx/vanguard.ofx": ("USD", 0, 1, "0", ""),
    "ofx/investment_401k.ofx": ("USD", 0, 1, "0", ""),
    "ofx/accented_characters_latin1.ofx": ("USD", 1, 0, "-58.73", "Virement Interac à: Jean"),
    "ofx/apostrophe.ofx": ("USD", 1, 0, "-58.73", "TRADER JOE'S #541 QPS"),
    "ofx/br_nubank_cc.ofx": ("BRL", 6, 0, "-1280.91", "-memo-message-"),
    "ofx/stmtrs_euro.ofx": ("USD", 2, 0, "-500.00", "Atm"),
    "ofx/amex.ofx": ("USD", 3, 0, "-190.75", "PRUNE NEW YORK"),
    "ofx/checking2.ofx": ("USD", 13, 0, "-388.64", "DIRECT DEBIT WELLS"),
    "ofx/8859-1.qfx": ("CAD", 1, 0, "-20.00", "Paiement facture/Carte prépayée"),
    "ofx/1252.qfx": ("CAD", 1, 0, "-20.00", "Café Métro €uro"),
    "ofx/utf-8.qfx": ("CAD", 1, 0, "-20.00", "Café Métro €uro"),
    "ofx/html-vals.qfx": ("CAD", 2, 0, "-2.00", "TPAY <DEFTPYMT>"),
    "ofx/qif-category.qif": ("USD", 2, 0, "-120.73", "GroceriesYou"),
    "ofx/qif-account.qif": ("USD", 1, 0, "-25.00", "COUNTY WASTE"),
    "csv/gls.csv": ("EUR", 1, 0, "-98.76", "SEPA-Basislastschrift"),
    "csv/ingesp.csv": ("EUR", 10, 0, "350.21", "Devolución Tarjeta AMZN Mktp ES"),
    "csv/n26-fr.csv": ("EUR", 2, 0, "0.00", "Compte courant"),
    "csv/schwab-checking.csv": ("USD", 4, 0, "-215.27", "BMO HARRIS BANK"),
    "csv/pcmastercard.csv": ("CAD", 2, 0, "50.31", "APL*ITUNES.COM/BILL"),
    "csv/mint.csv": ("USD", 4, 0, "-3000.00", "Transfer from Savings"),
    "csv/default.csv": ("USD", 8, 0, "465000", "Ómary Akida"),
    "csv/creditunion.csv": ("USD", 8, 0, "465000", "Ómary Akida"),
    "csv/outbank.csv": ("EUR", 4, 0, "-35.89", "Shell Gas purchase MASTER 0123456789"),
    "csv/payoneer.csv": ("USD", 2, 0, "20", "Transaction description"),
    "csv/paypal.csv": ("USD", 2, 0, "1100.00", "Jane Doe"),
    "csv/windows-1252.csv": ("EUR", 2, 0, "58.15", "Café Rémy"),
    "csv/utf-8-bom.csv": ("HUF", 2, 0, "200", "Transaction"),
}


def import_file(
    api: Api, user: User, workspace: str, account: str, name: str, content: bytes, **form: Any
) -> Any:
    return api.commands.post(
        f"/api/workspaces/{workspace}/imports",
        files={"file": (name, content)},
        data={"account_id": account, **form},
        headers=user.headers,
    )


def test_every_fixture_imports_with_its_counts_and_amounts_or_says_why_not(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".ofx", ".qfx", ".qif", ".csv"))
    assert {str(p.relative_to(FIXTURES)) for p in files} == set(EXPECTED) | {
        "ofx/error_message.ofx"
    }
    for path in files:
        name = str(path.relative_to(FIXTURES))
        if name == "ofx/error_message.ofx":  # a sign-on error, no statement at all
            response = import_file(
                api, user, workspace, api.account(user, workspace), path.name, path.read_bytes()
            )
            assert response.status_code == 400, response.text
            assert "line" in response.json()["errors"]["file"][0]
            continue
        currency, imported, rejected, total, description = EXPECTED[name]
        account = api.account(user, workspace, currency=currency)
        response = import_file(api, user, workspace, account, path.name, path.read_bytes())
        assert response.status_code == 201, f"{name}: {response.text}"
        body = response.json()
        assert (body["imported"], body["rejected_rows"]) == (imported, rejected), (name, body)
        amounts = sum((Decimal(t["amount"]) for t in body["transactions"]), Decimal(0))
        assert amounts == Decimal(total), name
        if description:
            assert description in [t["description"] for t in body["transactions"]], name
        for row in body["rejected"]:
            assert row["reason"], name

        again = import_file(api, user, workspace, account, path.name, path.read_bytes())
        assert again.status_code == 201, again.text
        assert (again.json()["imported"], again.json()["skipped_duplicates"]) == (0, imported)


def test_two_identical_coffees_both_import_but_the_same_file_twice_adds_nothing(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    coffees = b"Date,Description,Amount\n2026-03-02,Coffee,-3.20\n2026-03-02,Coffee,-3.20\n"
    first = import_file(api, user, workspace, account, "a.csv", coffees).json()
    assert first["imported"] == 2
    three = coffees + b"2026-03-02,Coffee,-3.20\n"
    second = import_file(api, user, workspace, account, "b.csv", three).json()
    assert (second["imported"], second["skipped_duplicates"]) == (1, 2)
    listed = api.read(
        user, f"/api/workspaces/{workspace}/transactions", min_position=second["position"]
    )
    assert listed["meta"]["total"] == 3
    report = api.read(
        user, f"/api/workspaces/{workspace}/imports/{second['id']}", min_position=second["position"]
    )
    assert [row["line"] for row in report["skipped"]] == [2, 3]


def test_a_dry_run_reports_and_saves_nothing(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = b"Date,Description,Amount\n2026-03-02,Rent,-900.00\n2026-03-03,Pay,2500.00\n"
    dry = import_file(api, user, workspace, account, "s.csv", content, dry_run="true").json()
    assert (dry["imported"], dry["dry_run"], dry["position"]) == (2, True, 0)
    real = import_file(api, user, workspace, account, "s.csv", content).json()
    assert real["imported"] == 2


def test_rows_that_cannot_be_read_are_rejected_with_their_line_and_reason(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = (
        b"Date,Description,Amount,Currency\n"
        b"2026-03-02,Bread,-2.10,EUR\n"
        b"2026-13-45,Ghost,-1.00,EUR\n"
        b"2026-03-04,Dollars,-5.00,USD\n"
        b"2026-03-05,Free,0,EUR\n"
    )
    body = import_file(api, user, workspace, account, "s.csv", content).json()
    assert body["imported"] == 1
    reasons = {row["line"]: row["reason"] for row in body["rejected"]}
    assert set(reasons) == {3, 4, 5}
    assert "date" in reasons[3]
    assert "USD" in reasons[4]
    assert "zero" in reasons[5]


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"Foo,Bar\n1,2\n", "x.csv", "no date column"),
        (
            b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>",
            "x.ofx",
            "no statement",
        ),
        (b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>", "x.xml", "line 1"),
        (b"PK\x03\x04 not really a workbook", "x.xlsx", "not a readable .xlsx workbook"),
        (b'[{"date": "2026-02-01"', "x.json", "not JSON"),
        (b'{"transactions": 3}', "x.json", "a list of transaction objects"),
    ],
)
def test_a_malformed_file_is_400_naming_the_line_and_imports_nothing(
    api: Api, content: bytes, name: str, words: str
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    fmt = {"x.xml": "camt053"}.get(name)
    form = {"format": fmt} if fmt else {}
    response = import_file(api, user, workspace, account, name, content, **form)
    assert response.status_code == 400, response.text
    assert words in response.json()["errors"]["file"][0]


def test_a_file_over_10_mb_is_413(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    big = b"Date,Description,Amount\n" + b"2026-03-02,Coffee,-3.20\n" * 450_000
    response = import_file(api, user, workspace, account, "big.csv", big)
    assert response.status_code == 413, response.text[:300]


CAMT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="EUR">42.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-02-03</Dt></BookgDt>
<AcctSvcrRef>REF-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Cdtr><Nm>Stadtwerke</Nm></Cdtr>
</RltdPties><RmtInf><Ustrd>Strom Februar</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">1800.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-02-01</Dt></BookgDt>
<AcctSvcrRef>REF-2</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Employer GmbH</Nm></Dbtr>
</RltdPties></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_a_camt053_statement_imports_debits_as_negative(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    body = import_file(api, user, workspace, account, "s.xml", CAMT).json()
    assert body["format"] == "camt053"
    assert sorted((t["description"], t["amount"]) for t in body["transactions"]) == [
        ("Employer GmbH", "1800.00"),
        ("Stadtwerke", "-42.50"),
    ]


@pytest.mark.parametrize(
    "profile", ['{"encoding": "klingon"}', '{"delimiter": ";;"}', '{"colour": "red"}', "[1"]
)
def test_a_bad_csv_profile_is_400_not_500(api: Api, profile: str) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = b"Date,Description,Amount\n2026-03-02,Rent,-900.00\n"
    response = import_file(api, user, workspace, account, "s.csv", content, profile=profile)
    assert response.status_code == 400, response.text


def test_a_saved_profile_reads_a_bank_s_odd_csv_every_time(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    odd = "Wann;Was;Wieviel\n03.02.2026;Bäckerei;-3,20\n04.02.2026;Gehalt;2.500,00\n".encode(
        "cp1252"
    )
    without = import_file(api, user, workspace, account, "bank.csv", odd, dry_run="true")
    assert without.status_code == 400, without.text
    saved = api.commands.post(
        f"/api/workspaces/{workspace}/import-profiles",
        json={
            "name": "Sparkasse",
            "settings": {"date": "Wann", "description": "Was", "amount": "Wieviel"},
        },
        headers=user.headers,
    )
    assert saved.status_code == 201, saved.text
    profile = saved.json()
    response = import_file(api, user, workspace, account, "bank.csv", odd, profile_id=profile["id"])
    assert response.status_code == 201, response.text
    assert [
        (t["date"], t["amount"], t["description"]) for t in response.json()["transactions"]
    ] == [
        ("2026-02-03", "-3.20", "Bäckerei"),
        ("2026-02-04", "2500.00", "Gehalt"),
    ]
    listed = api.read(
        user, f"/api/workspaces/{workspace}/import-profiles", response.json()["position"]
    )
    assert [(p["name"], p["settings"]["amount"]) for p in listed["data"]] == [
        ("Sparkasse", "Wieviel")
    ]
    bad = api.commands.post(
        f"/api/workspaces/{workspace}/import-profiles",
        json={"name": "Bad", "settings": {"encoding": "klingon-8"}},
        headers=user.headers,
    )
    assert bad.status_code == 422, bad.text
    assert "profile" in bad.json()["errors"]
    removed = api.commands.delete(
        f"/api/workspaces/{workspace}/import-profiles/{profile['id']}", headers=user.headers
    )
    assert removed.status_code == 200, removed.text
    gone = import_file(api, user, workspace, account, "bank.csv", odd, profile_id=profile["id"])
    assert gone.status_code == 404, gone.text


def test_a_line_with_more_than_8_decimals_is_rejected_with_its_reason_and_others_kept(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    account = api.account(user, workspace, currency="USD")
    content = (
        b"Date,Description,Amount\n"
        b"2026-03-02,Interest,0.12345678\n"
        b"2026-03-03,Too fine,0.123456789\n"
        b"2026-03-04,Fee,-1.5000000000\n"  # trailing zeros are no decimals
    )
    body = import_file(api, user, workspace, account, "s.csv", content).json()
    assert [t["amount"] for t in body["transactions"]] == ["0.12345678", "-1.50"]
    [row] = body["rejected"]
    assert row["line"] == 3
    assert "8 decimal places" in row["reason"]


def test_control_characters_in_a_statement_become_spaces_and_far_dates_are_rejected(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    csv_file = (
        b"Date,Description,Amount,Notes\n"
        b'2026-03-02,"Coffee\x07\tShop\x1a",-3.00,"first\nsecond\x07"\n'
        b"9999-12-31,Far future,-1.00,\n"
        b"1899-12-31,Far past,-1.00,\n"
    )
    response = import_file(api, user, workspace, account, "s.csv", csv_file)
    assert response.status_code == 201, response.text
    body = response.json()
    [transaction] = body["transactions"]
    assert transaction["description"] == "Coffee Shop"
    assert transaction["notes"] == "first\nsecond"
    assert sorted(row["line"] for row in body["rejected"]) == [3, 4]
    assert all("1900 to 2200" in row["reason"] for row in body["rejected"]), body["rejected"]
    json_file = (
        b'[{"date": "2026-03-05", "amount": "-2.00", "description": "Tea\\u0000\\ud800Bar"}]'
    )
    response = import_file(api, user, workspace, account, "s.json", json_file)
    assert response.status_code == 201, response.text
    assert [t["description"] for t in response.json()["transactions"]] == ["Tea Bar"]


def _times(response: Any) -> list[tuple[str, str | None]]:
    assert response.status_code == 201, response.text
    return [(t["description"], t["time"]) for t in response.json()["transactions"]]


def ofx(*posted: str) -> bytes:
    """An OFX 1.x statement with one transaction per DTPOSTED."""
    transactions = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{when}<TRNAMT>-{n}.00<FITID>T{n}<NAME>Shop {n}"
        "</STMTTRN>\n"
        for n, when in enumerate(posted, 1)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\n"
        f"<BANKTRANLIST>\n{transactions}</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode()


def test_an_ofx_transaction_gets_the_time_of_its_dtposted_and_a_date_alone_gets_none(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = ofx(
        "20260314224510.000[-5:EST]",  # the bank's wall clock, its zone not applied
        "202603142315",
        "20260314",
        "20260314000000",  # midnight and noon to the second: placeholders for the day alone
        "20260314120000.000",
    )
    assert _times(import_file(api, user, workspace, account, "s.ofx", content)) == [
        ("Shop 1", "22:45:10"),
        ("Shop 2", "23:15:00"),
        ("Shop 3", None),
        ("Shop 4", None),
        ("Shop 5", None),
    ]


def test_a_real_ofx_file_with_times_keeps_them(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, currency="CAD")
    content = (FIXTURES / "ofx/bank_medium.ofx").read_bytes()
    times = {t for _, t in _times(import_file(api, user, workspace, account, "b.ofx", content))}
    assert "12:20:17" in times


def test_a_csv_time_column_is_found_by_its_name_in_24_hour_or_am_pm_form(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = (
        b"Date,Time,Time Zone,Description,Amount\n"
        b"2026-03-14,22:45,CET,Kebab,-7.50\n"
        b"2026-03-14,06:50 PM,CET,Fuel,-36.33\n"
        b"2026-03-15,,CET,Rent,-900.00\n"
        b"2026-03-15,00:00:00,CET,Night bus,-2.00\n"
    )
    assert _times(import_file(api, user, workspace, account, "s.csv", content)) == [
        ("Kebab", "22:45:00"),
        ("Fuel", "18:50:00"),
        ("Rent", None),
        ("Night bus", "00:00:00"),  # a time column's midnight is a time
    ]
    pc = import_file(
        api,
        user,
        workspace,
        api.account(user, workspace, currency="CAD"),
        "pc.csv",
        (FIXTURES / "csv/pcmastercard.csv").read_bytes(),
    )
    assert ("Mobil", "18:50:00") in _times(pc)


def test_a_date_column_holding_date_and_time_gives_the_time(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    content = (
        b"Date,Description,Amount\n"
        b"2026-03-14 22:45,Kebab,-7.50\n"
        b"2026-03-14T23:05:10Z,Taxi,-18.00\n"
        b"2026-03-15 00:00:00,Rent,-900.00\n"
        b"2026-03-15 (pending),Fee,-1.00\n"
    )
    assert _times(import_file(api, user, workspace, account, "s.csv", content)) == [
        ("Kebab", "22:45:00"),
        ("Taxi", "23:05:10"),
        ("Rent", None),  # a date kept as a datetime reads as midnight: no time
        ("Fee", None),
    ]


def test_a_profile_names_the_time_column_and_an_unreadable_time_rejects_its_line(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    odd = b"Wann;Um;Was;Wieviel\n14.03.2026;22:45:10;Imbiss;-7,50\n14.03.2026;spaet;Bar;-9,00\n"
    saved = api.commands.post(
        f"/api/workspaces/{workspace}/import-profiles",
        json={
            "name": "Sparkasse",
            "settings": {"date": "Wann", "time": "Um", "description": "Was", "amount": "Wieviel"},
        },
        headers=user.headers,
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["settings"]["time"] == "Um"
    response = import_file(
        api, user, workspace, account, "b.csv", odd, profile_id=saved.json()["id"]
    )
    assert _times(response) == [("Imbiss", "22:45:10")]
    [rejected] = response.json()["rejected"]
    assert rejected["line"] == 3
    assert rejected["reason"].startswith("time:")
    sent = import_file(
        api, user, workspace, account, "b.csv", odd, profile='{"time": "Nirgends"}', dry_run="true"
    )
    assert sent.status_code == 400
    assert "time" in sent.json()["errors"]["file"][0]


def test_a_file_imported_before_times_were_read_adds_nothing_when_imported_with_them(
    api: Api,
) -> None:
    """The duplicate keys (FITID, or date, amount and text) leave the time out."""
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    before = b"Date,Description,Amount\n2026-03-14,Kebab,-7.50\n2026-03-14,Kebab,-7.50\n"
    with_times = (
        b"Date,Time,Description,Amount\n"
        b"2026-03-14,22:45,Kebab,-7.50\n"
        b"2026-03-14,23:10,Kebab,-7.50\n"
    )
    first = import_file(api, user, workspace, account, "a.csv", before).json()
    assert first["imported"] == 2
    again = import_file(api, user, workspace, account, "b.csv", with_times).json()
    assert (again["imported"], again["skipped_duplicates"]) == (0, 2)
    dated = b"Date,Description,Amount\n2026-03-14 22:45,Kebab,-7.50\n2026-03-14 23:10,Kebab,-7.50\n"
    assert import_file(api, user, workspace, account, "c.csv", dated).json()["imported"] == 0
    ofx_first = import_file(api, user, workspace, account, "a.ofx", ofx("20260314")).json()
    ofx_again = import_file(api, user, workspace, account, "b.ofx", ofx("20260314224510")).json()
    assert (ofx_first["imported"], ofx_again["imported"]) == (1, 0)
