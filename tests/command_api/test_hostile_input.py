"""What an attacker sent that once gave a 500, or was taken wrongly: each is a clear answer now."""

from __future__ import annotations

import pytest

from tests.api import Api, User
from tests.command_api.test_imports import import_file


@pytest.fixture
def books(api: Api) -> tuple[User, str, str]:
    user = api.user()
    workspace = api.workspace(user)
    return user, workspace, api.account(user, workspace)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("huge-cell.csv", b"date,amount,description\n2026-03-01,-1.00," + b"A" * 300_000),
        ("open-quote.csv", b'date,amount,description\n2026-03-01,-1.00,"' + b"A" * 300_000),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
    ],
)
def test_a_statement_the_parser_cannot_read_is_a_400_not_a_500(
    api: Api, books: tuple[User, str, str], name: str, content: bytes
) -> None:
    user, workspace, account = books
    answer = import_file(api, user, workspace, account, name, content)
    assert answer.status_code == 400, answer.text
    assert "file" in answer.json()["errors"]


def test_a_statement_year_written_with_four_digits_is_taken_as_written(
    api: Api, books: tuple[User, str, str]
) -> None:
    user, workspace, account = books
    content = (
        b"date,amount,description\n"
        b"0001-01-01,-1.00,Year one\n"
        b"0099-12-31,-1.00,Year 99\n"
        b"2026-03-01,-1.00,Fine\n"
    )
    body = import_file(api, user, workspace, account, "s.csv", content).json()
    assert [t["date"] for t in body["transactions"]] == ["2026-03-01"]
    assert sorted(row["line"] for row in body["rejected"]) == [2, 3]


def test_an_if_match_longer_than_a_version_can_be_is_a_400(
    api: Api, books: tuple[User, str, str]
) -> None:
    user, workspace, account = books
    transaction = api.record(user, workspace, account)
    answer = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{transaction['id']}",
        json={"description": "again"},
        headers={**user.headers, "If-Match": '"' + "9" * 5000 + '"'},
    )
    assert answer.status_code == 400, answer.text


def test_a_retried_import_is_the_same_request_whatever_multipart_boundary_it_draws(
    api: Api, books: tuple[User, str, str]
) -> None:
    user, workspace, account = books
    content = b"date,amount,description\n2026-03-01,-1.00,Coffee\n"
    answers = []
    for boundary in ("first-boundary-1111", "second-boundary-2222"):
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="account_id"\r\n\r\n'
                f"{account}\r\n"
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="s.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answers.append(
            api.commands.post(
                f"/api/workspaces/{workspace}/imports",
                content=body,
                headers={
                    **user.headers,
                    "content-type": f"multipart/form-data; boundary={boundary}",
                    "Idempotency-Key": "statement-march",
                },
            )
        )
    assert [a.status_code for a in answers] == [201, 201], answers[1].text
    assert answers[0].json()["id"] == answers[1].json()["id"]


def test_an_amount_filter_past_any_amount_is_a_400(api: Api, books: tuple[User, str, str]) -> None:
    user, workspace, account = books
    position = api.record(user, workspace, account)["position"]
    for name in ("min_amount", "max_amount"):
        answer = api.reads.get(
            f"/api/workspaces/{workspace}/transactions",
            params={name: "1E+999999", "min_position": position},
            headers=user.headers,
        )
        assert answer.status_code == 400, answer.text
