"""Exchange rates by CSV: the body as text/csv or a multipart file, as the README says."""

from __future__ import annotations

from tests.api import Api

RATES = b"date,currency,quote,rate\n2026-01-30,USD,EUR,0.92\n2026-01-31,GBP,EUR,1.17\n"


def test_a_rates_csv_is_taken_as_a_text_csv_body_and_as_a_multipart_file(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    url = f"/api/workspaces/{workspace}/exchange-rates/csv"
    body = api.commands.post(
        url, content=RATES, headers={**user.headers, "Content-Type": "text/csv"}
    )
    assert body.status_code == 201, body.text
    assert body.json()["recorded"] == 2
    upload = api.commands.post(url, files={"file": ("rates.csv", RATES)}, headers=user.headers)
    assert upload.status_code == 201, upload.text
    assert upload.json()["recorded"] == 2
    assert upload.json()["position"] > body.json()["position"]


def test_a_rates_csv_that_cannot_be_read_says_why(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    url = f"/api/workspaces/{workspace}/exchange-rates/csv"
    csv = {**user.headers, "Content-Type": "text/csv"}
    wrong = api.commands.post(
        url, content=b"date,currency,quote,rate\nyesterday,USD,EUR,1\n", headers=csv
    )
    assert wrong.status_code == 400, wrong.text
    assert "line 2" in wrong.json()["errors"]["file"][0]
    nul = api.commands.post(url, content=b"date,currency\x00,quote,rate\n", headers=csv)
    assert nul.status_code == 400, nul.text
    no_file = api.commands.post(url, files={"other": ("r.csv", RATES)}, headers=user.headers)
    assert no_file.status_code == 400, no_file.text
    json = api.commands.post(url, json={"rates": []}, headers=user.headers)
    assert json.status_code == 415, json.text
