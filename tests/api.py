"""A test's client of both APIs: users, workspaces, accounts and transactions in a line each."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from litestar.testing import TestClient

PASSWORD = "Correct-horse-9"


class User:
    def __init__(self, user_id: str, email: str, access_token: str, refresh_token: str) -> None:
        self.id = user_id
        self.email = email
        self.access_token = access_token
        self.refresh_token = refresh_token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    def __init__(self, commands: TestClient[Any], reads: TestClient[Any]) -> None:
        self.commands = commands
        self.reads = reads

    def user(self, name: str = "Ada") -> User:
        email = f"{name.lower()}-{uuid4().hex[:10]}@example.com"
        signup = self.commands.post(
            "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert signup.status_code == 201, signup.text
        tokens = self.commands.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        return User(body["user_id"], email, body["access_token"], body["refresh_token"])

    def workspace(self, user: User, currency: str = "EUR") -> str:
        response = self.commands.post(
            "/api/workspaces",
            json={"name": "Home", "base_currency": currency},
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        workspace_id: str = response.json()["id"]
        return workspace_id

    def account(
        self, user: User, workspace_id: str, currency: str = "EUR", opening_balance: str = "0"
    ) -> str:
        response = self.commands.post(
            f"/api/workspaces/{workspace_id}/accounts",
            json={
                "name": "Checking",
                "type": "CHECKING",
                "currency": currency,
                "opening_balance": opening_balance,
            },
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        account_id: str = response.json()["id"]
        return account_id

    def record(
        self, user: User, workspace_id: str, account_id: str, **fields: Any
    ) -> dict[str, Any]:
        body = {
            "account_id": account_id,
            "date": "2026-03-14",
            "amount": "-5.75",
            "currency": "EUR",
            "description": "Coffee",
            **fields,
        }
        response = self.commands.post(
            f"/api/workspaces/{workspace_id}/transactions", json=body, headers=user.headers
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def record_with(self, headers: dict[str, str], workspace_id: str, account_id: str) -> Any:
        return self.commands.post(
            f"/api/workspaces/{workspace_id}/transactions",
            json={
                "account_id": account_id,
                "date": "2026-03-14",
                "amount": "-5.75",
                "currency": "EUR",
                "description": "Coffee",
            },
            headers=headers,
        )

    def read(self, user: User, path: str, min_position: int = 0, **params: Any) -> Any:
        response = self.reads.get(
            path, params={"min_position": min_position, **params}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        return response.json()
