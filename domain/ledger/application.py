"""The Ledger application: accounts, transactions, transfers, categories, rates and imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from domain.base import (
    Actor,
    CentsourceApplication,
    DomainError,
    NotFoundError,
    check_version,
    natural_id,
)
from domain.ledger.account import Account, AccountType
from domain.ledger.categories import TRANSFERS, Categories, system_category_id
from domain.ledger.exchange_rates import Rate, RateSheet
from domain.ledger.import_chunks import ImportChunks
from domain.ledger.imports import (
    Import,
    ImportProfile,
    StatementLine,
    external_ids,
    imported_transaction_ids,
)
from domain.ledger.merchants import MerchantMemory, merchant_key, normalize_merchant
from domain.ledger.reconciliation import Candidate, Matching, match
from domain.ledger.rules import Rule, Rules, first_match
from domain.ledger.statements import CsvProfile, StatementError
from domain.ledger.transaction import (
    MAX_TAGS,
    Attachment,
    Categorization,
    CategorizedBy,
    Origin,
    SplitPart,
    Transaction,
    TransactionDetails,
)
from domain.money import check_amount, in_minor_units

T = TypeVar("T", Account, Transaction, Import, ImportProfile)
MAX_BULK = 1000
PROGRESS_EVERY = 1000  # lines
KEPT_TRANSACTIONS = 1000  # an import's report holds its first ones, not all of them


@dataclass(frozen=True)
class Transfer:
    transfer_id: UUID
    legs: tuple[Transaction, Transaction]  # money out, money in


@dataclass(frozen=True)
class ReconciliationReport:
    reconciliation_id: UUID
    matching: Matching
    candidates: int  # recorded transactions the lines were matched against
    position: int


@dataclass(frozen=True)
class ImportReport:
    import_id: UUID
    format: str
    dry_run: bool
    imported: int
    skipped: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    transactions: list[Transaction]  # the first KEPT_TRANSACTIONS imported (or that would be)
    categories: Categories
    position: int


class Ledger(CentsourceApplication):
    # Accounts

    def open_account(
        self,
        account_id: UUID,
        workspace_id: UUID,
        name: str,
        type: AccountType,
        currency: str,
        opening_balance: Decimal,
        by: Actor,
    ) -> tuple[Account, int]:
        existing = self._find(Account, account_id, workspace_id)
        if existing is not None:  # a retry of the same idempotent command
            return existing, 0
        account = Account.open(account_id, workspace_id, name, type, currency, opening_balance, by)
        return account, self.save_all(account)

    def update_account(
        self,
        workspace_id: UUID,
        account_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
        by: Actor,
    ) -> tuple[Account, int]:
        account = self._get_account(workspace_id, account_id, expected_version)
        account.update(changes.get("name", account.name), changes.get("type", account.type), by)
        return account, self.save_all(account)

    def close_account(
        self, workspace_id: UUID, account_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Account, int]:
        account = self._get_account(workspace_id, account_id, expected_version)
        account.close(by)
        return account, self.save_all(account)

    def reopen_account(
        self, workspace_id: UUID, account_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Account, int]:
        account = self._get_account(workspace_id, account_id, expected_version)
        account.reopen(by)
        return account, self.save_all(account)

    def value_account(
        self, workspace_id: UUID, account_id: UUID, on: date, value: Decimal, by: Actor
    ) -> tuple[Account, int]:
        account = self._get_account(workspace_id, account_id, None)
        account.value(on, value, by)
        return account, self.save_all(account)

    # Transactions

    def record_transaction(
        self,
        transaction_id: UUID | None,
        workspace_id: UUID,
        details: TransactionDetails,
        by: Actor,
        category_name: str | None = None,
    ) -> tuple[Transaction, Categories, int]:
        """``category_name`` names a category (made when no category has that name yet). An
        id names the transaction a retry of the same command recorded; none, a new one."""
        categories = self.categories(workspace_id, by)
        if transaction_id is None:
            transaction_id = uuid4()
        else:
            existing = self._find(Transaction, transaction_id, workspace_id)
            if existing is not None:  # a retry of the same idempotent command
                return existing, categories, 0
        account = self.get_account(workspace_id, details.account_id)
        account.check_open()
        account.check_accepts(details.currency)
        if details.merchant is None:
            details = replace(details, merchant=normalize_merchant(details.description))
        categorization = None
        learned: list[MerchantMemory] = []
        if category_name is None and details.category_id is None:
            categorizer = AutoCategorizer(self, workspace_id, categories)
            details, categorization = categorizer.categorize(details)
        else:
            details = self._with_category(categories, details, category_name, by)
            learned = self._learn(workspace_id, [(details.merchant, details.category_id)], by)
        transaction = Transaction.record(transaction_id, workspace_id, details, by, categorization)
        position = self.save_all(transaction, *_changed(categories), *learned)
        return transaction, categories, position

    def amend_transaction(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
        by: Actor,
        category_name: str | None = None,
    ) -> tuple[Transaction, Categories, int]:
        """Changes the named fields; the others keep their values."""
        categories = self.categories(workspace_id, by)
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        details = replace(transaction.details, **changes)
        if details.account_id != transaction.details.account_id:
            self.get_account(workspace_id, details.account_id).check_open()
        self.get_account(workspace_id, details.account_id).check_accepts(details.currency)
        learned: list[MerchantMemory] = []
        if category_name is not None or "category_id" in changes:
            details = self._with_category(categories, details, category_name, by)
            if details.category_id != transaction.details.category_id:
                learned = self._learn(workspace_id, [(details.merchant, details.category_id)], by)
        transaction.amend(details, by)
        position = self.save_all(transaction, *_changed(categories), *learned)
        return transaction, categories, position

    def delete_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Transaction, int]:
        """A transfer leg takes its other leg with it."""
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        legs = self._legs(workspace_id, transaction)
        for leg in legs:
            leg.delete(by)
        return transaction, self.save_all(*legs)

    def restore_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Transaction, int]:
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        legs = self._legs(workspace_id, transaction)
        for leg in legs:
            leg.restore(by)
        return transaction, self.save_all(*legs)

    def split_transaction(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        parts: list[tuple[UUID | None, Decimal, str | None]],
        expected_version: int | None,
        by: Actor,
    ) -> tuple[Transaction, Categories, int]:
        categories = self.categories(workspace_id, by)
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        transaction.split(
            tuple(
                SplitPart(
                    None if category_id is None else categories.current(category_id, "splits"),
                    amount,
                    notes,
                )
                for category_id, amount, notes in parts
            ),
            by,
        )
        return transaction, categories, self.save_all(transaction)

    def attach_file(
        self, workspace_id: UUID, transaction_id: UUID, attachment: Attachment, by: Actor
    ) -> tuple[Transaction, int]:
        transaction = self.get_transaction(workspace_id, transaction_id)
        transaction.attach(attachment, by)
        return transaction, self.save_all(transaction)

    def detach_file(
        self, workspace_id: UUID, transaction_id: UUID, attachment_id: UUID, by: Actor
    ) -> tuple[Transaction, int]:
        transaction = self.get_transaction(workspace_id, transaction_id)
        transaction.detach(attachment_id, by)
        return transaction, self.save_all(transaction)

    def categorize_transactions(
        self,
        workspace_id: UUID,
        transaction_ids: list[UUID],
        category_id: UUID | None,
        by: Actor,
    ) -> tuple[list[Transaction], int, int]:
        """All of them or none: an unknown id refuses the whole command.

        Answers the transactions, how many changed, and the position."""
        if not 1 <= len(set(transaction_ids)) <= MAX_BULK:
            raise DomainError(f"name 1 to {MAX_BULK} transactions", "transaction_ids")
        categories = self.categories(workspace_id, by)
        target = None if category_id is None else categories.current(category_id)
        transactions = []
        for transaction_id in dict.fromkeys(transaction_ids):
            transaction = self._find(Transaction, transaction_id, workspace_id)
            if transaction is None:
                raise DomainError(f"no transaction {transaction_id} here", "transaction_ids")
            transaction.categorize(target, by)
            transactions.append(transaction)
        changed = sum(1 for t in transactions if t.pending_events)
        # Each named transaction is the user's choice, also where it had the category already.
        learned = self._learn(
            workspace_id, [(t.details.merchant, target) for t in transactions], by
        )
        return transactions, changed, self.save_all(*transactions, *learned)

    def transfer(
        self,
        transfer_id: UUID,
        workspace_id: UUID,
        from_account_id: UUID,
        to_account_id: UUID,
        on: date,
        amount: Decimal,
        received: Decimal | None,
        description: str,
        notes: str | None,
        by: Actor,
    ) -> tuple[Transfer, int]:
        """One command, two legs: money out of one account and into another, saved together.

        Between currencies the client says what arrived (``received``); no rate is guessed.
        """
        out_id, in_id = natural_id(transfer_id, "out"), natural_id(transfer_id, "in")
        existing = self._find(Transaction, out_id, workspace_id)
        if existing is not None:  # a retry of the same idempotent command
            counterpart = self.get_transaction(workspace_id, in_id)
            return Transfer(transfer_id, (existing, counterpart)), 0
        if from_account_id == to_account_id:
            raise DomainError("a transfer is between two accounts", "to_account_id")
        if amount <= 0:
            raise DomainError("the amount moved is positive", "amount")
        source = self.get_account(workspace_id, from_account_id)
        target = self.get_account(workspace_id, to_account_id)
        source.check_open()
        target.check_open()
        if received is None:
            if source.currency != target.currency:
                raise DomainError(
                    f"the accounts are in {source.currency} and {target.currency}: "
                    "say what arrived",
                    "received_amount",
                )
            received = amount
        check_amount(received, target.currency, "received_amount")
        if received <= 0:
            raise DomainError("the amount received is positive", "received_amount")
        category_id = system_category_id(workspace_id, TRANSFERS)
        legs = []
        for leg_id, account, other, signed in (
            (out_id, source, target, -amount),
            (in_id, target, source, received),
        ):
            details = TransactionDetails(
                account.id, on, signed, account.currency, description, None, category_id, (), notes
            )
            origin = Origin(transfer_id=transfer_id, counter_account_id=other.id)
            legs.append(Transaction.record(leg_id, workspace_id, details, by, origin=origin))
        return Transfer(transfer_id, (legs[0], legs[1])), self.save_all(*legs)

    # Categories

    def categories(self, workspace_id: UUID, by: Actor) -> Categories:
        """The workspace's categories; a workspace that never changed them has the system set
        (started here, saved with its first change)."""
        found = self.find(Categories, Categories.id_for(workspace_id))
        return found if found is not None else Categories.start(workspace_id, by)

    def add_category(
        self, workspace_id: UUID, name: str, parent_id: UUID | None, by: Actor
    ) -> tuple[Categories, UUID, int]:
        categories = self.categories(workspace_id, by)
        category_id = categories.add(name, parent_id, by)
        return categories, category_id, self.save_all(categories)

    def rename_category(
        self, workspace_id: UUID, category_id: UUID, name: str, by: Actor
    ) -> tuple[Categories, int]:
        categories = self.categories(workspace_id, by)
        categories.rename(category_id, name, by)
        return categories, self.save_all(*_changed(categories))

    def archive_category(
        self, workspace_id: UUID, category_id: UUID, archived: bool, by: Actor
    ) -> tuple[Categories, int]:
        categories = self.categories(workspace_id, by)
        if archived:
            categories.archive(category_id, by)
        else:
            categories.unarchive(category_id, by)
        return categories, self.save_all(*_changed(categories))

    def merge_categories(
        self,
        workspace_id: UUID,
        source_id: UUID,
        target_id: UUID,
        candidates: Iterable[UUID],
        by: Actor,
    ) -> tuple[Categories, int, int]:
        """Moves the source's transactions to the target by their own ``Categorized`` events,
        saved with the merge. ``candidates`` are the transactions a read model says carry the
        source; each is loaded and checked here."""
        categories = self.categories(workspace_id, by)
        categories.merge(source_id, target_id, by)
        moved = []
        for transaction_id in candidates:
            transaction = self._find(Transaction, transaction_id, workspace_id)
            if transaction is not None and transaction.details.category_id == source_id:
                transaction.categorize(target_id, by)
                moved.append(transaction)
        return categories, len(moved), self.save_all(categories, *moved)

    # Rules and what was learned

    def rules(self, workspace_id: UUID, by: Actor) -> Rules:
        found = self.find(Rules, Rules.id_for(workspace_id))
        return found if found is not None else Rules.start(workspace_id, by)

    def add_rule(
        self, workspace_id: UUID, rule: Rule, position: int | None, by: Actor
    ) -> tuple[Rules, int]:
        rules = self.rules(workspace_id, by)
        self._check_rule_references(workspace_id, rule, by)
        rules.add(rule, position, by)
        return rules, self.save_all(rules)

    def change_rule(
        self, workspace_id: UUID, rule_id: UUID, changes: Mapping[str, Any], by: Actor
    ) -> tuple[Rules, Rule, int]:
        rules = self.rules(workspace_id, by)
        rule = rules.change(rule_id, dict(changes), by)
        self._check_rule_references(workspace_id, rule, by)
        return rules, rule, self.save_all(rules)

    def remove_rule(self, workspace_id: UUID, rule_id: UUID, by: Actor) -> tuple[Rules, int]:
        rules = self.rules(workspace_id, by)
        rules.remove(rule_id, by)
        return rules, self.save_all(rules)

    def reorder_rules(
        self, workspace_id: UUID, rule_ids: list[UUID], by: Actor
    ) -> tuple[Rules, int]:
        rules = self.rules(workspace_id, by)
        rules.reorder(rule_ids, by)
        return rules, self.save_all(rules)

    def preview_rules(
        self,
        workspace_id: UUID,
        rule: Rule | None,
        samples: list[TransactionDetails],
        by: Actor,
    ) -> tuple[Categories, list[tuple[TransactionDetails, Categorization | None, UUID | None]]]:
        """What recording each sample would give it, and which rule (if any) decided; with
        ``rule``, that rule alone is asked. Nothing is saved."""
        categories = self.categories(workspace_id, by)
        categorizer = AutoCategorizer(self, workspace_id, categories)
        if rule is not None:
            self._check_rule_references(workspace_id, rule, by)
            rule.check()
            categorizer.rules = [rule]
        results = []
        for sample in samples:
            named = replace(
                sample, merchant=sample.merchant or normalize_merchant(sample.description)
            )
            details, categorization = categorizer.categorize(named)
            results.append((details, categorization, categorizer.last_rule))
        return categories, results

    def _check_rule_references(self, workspace_id: UUID, rule: Rule, by: Actor) -> None:
        if rule.account_id is not None:
            self.get_account(workspace_id, rule.account_id)
        if rule.category_id is not None:
            self.categories(workspace_id, by).get_active(rule.category_id)

    def _learn(
        self, workspace_id: UUID, choices: list[tuple[str | None, UUID | None]], by: Actor
    ) -> list[MerchantMemory]:
        """A user's category for a merchant's transaction is what its later ones will get."""
        memories: dict[str, MerchantMemory] = {}
        for merchant, category_id in choices:
            if not merchant or category_id is None:
                continue
            key = merchant_key(merchant)
            if key not in memories:
                found = self.find(MerchantMemory, MerchantMemory.id_for(workspace_id, merchant))
                memories[key] = found or MerchantMemory.start(workspace_id, merchant, by)
            memories[key].learn(category_id, by)
        return [memory for memory in memories.values() if memory.pending_events]

    # Reconciliation

    def reconcile(
        self,
        reconciliation_id: UUID,
        workspace_id: UUID,
        account_id: UUID,
        lines: list[StatementLine],
        candidate_ids: Iterable[UUID],
        tolerance: Decimal,
        window_days: int,
        dry_run: bool,
        by: Actor,
    ) -> ReconciliationReport:
        """Matches a statement's lines to the account's transactions not yet reconciled
        (``candidate_ids``, as a read model lists them, each loaded and checked here); the
        sure matches are marked reconciled, in one transaction, unless ``dry_run``."""
        if tolerance < 0:
            raise DomainError("the tolerance is zero or more", "tolerance")
        self._get_account(workspace_id, account_id, None)  # named by the path: 404
        transactions = {}
        for transaction_id in candidate_ids:
            found = self._find(Transaction, transaction_id, workspace_id)
            if (
                found is not None
                and found.details.account_id == account_id
                and not found.deleted
                and not found.reconciled
            ):
                transactions[found.id] = found
        candidates = [
            Candidate(
                t.id, t.details.date, t.details.amount, t.details.description, t.details.merchant
            )
            for t in transactions.values()
        ]
        matching = match(lines, candidates, tolerance, window_days)
        for pair in matching.matched:
            transactions[pair.transaction_id].reconcile(
                by, reconciliation_id, pair.line.date, pair.line.amount
            )
        matched = [transactions[m.transaction_id] for m in matching.matched]
        position = 0 if dry_run else self.save_all(*matched)
        return ReconciliationReport(reconciliation_id, matching, len(candidates), position)

    def reconcile_transaction(
        self, workspace_id: UUID, transaction_id: UUID, by: Actor
    ) -> tuple[Transaction, int]:
        """A person confirms a match the reconciliation left for review."""
        transaction = self.get_transaction(workspace_id, transaction_id)
        transaction.reconcile(by)
        return transaction, self.save_all(transaction)

    # Exchange rates

    def record_rates(
        self, sheet_id: UUID, workspace_id: UUID, rates: list[Rate], by: Actor
    ) -> tuple[RateSheet, int]:
        existing = self.find(RateSheet, sheet_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0
        sheet = RateSheet.record(sheet_id, workspace_id, rates, by)
        return sheet, self.save_all(sheet)

    # Imports

    def import_statement(
        self,
        import_id: UUID,
        workspace_id: UUID,
        account_id: UUID,
        file_name: str,
        format: str,
        lines: list[StatementLine],
        unreadable: list[tuple[int, str]],
        dry_run: bool,
        by: Actor,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> ImportReport:
        """Every line becomes a transaction, is skipped as one already there, or is refused
        with its reason. The transactions are saved in chunks (see ``import_chunks``), each
        in one transaction, the report with the last: an import cut short keeps whole chunks,
        and the same file imported again records the rest. ``progress(stage, done, total)``
        hears how far it is, now and then ("kept" once a chunk is committed: ``done``
        counts the transactions kept so far)."""
        account = self.get_account(workspace_id, account_id)
        account.check_open()
        categories = self.categories(workspace_id, by)
        categorizer = AutoCategorizer(self, workspace_id, categories)
        keys = external_ids(lines)
        ids = imported_transaction_ids(workspace_id, account_id, keys)
        already = self.existing_ids(ids)
        skipped: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = [
            {"line": line, "reason": reason} for line, reason in unreadable
        ]
        kept: list[Transaction] = []
        chunks = ImportChunks(self)
        merchants: dict[str, str | None] = {}  # a file names few merchants, many times
        taken: set[UUID] = set()
        total = len(lines)
        for done, (line, key, transaction_id) in enumerate(zip(lines, keys, ids, strict=True)):
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress("checking", done, total)
            if transaction_id in already or transaction_id in taken:
                skipped.append(
                    {"line": line.line, "transaction_id": transaction_id, "reason": "duplicate"}
                )
                continue
            currency = line.currency or account.currency
            named = line.merchant or line.description
            if named not in merchants:
                merchants[named] = normalize_merchant(named)
            try:
                account.check_accepts(currency)
                category_id = categories.find_or_add(line.category, by) if line.category else None
                details = TransactionDetails(
                    account_id,
                    line.date,
                    in_minor_units(line.amount, currency),
                    currency,
                    line.description,
                    merchants[named],
                    category_id,
                    line.tags,
                    line.notes,
                    line.time,
                )
                categorization = None
                if category_id is None:
                    details, categorization = categorizer.categorize(details)
                origin = Origin(external_id=key, import_id=import_id)
                recorded = Transaction.recorded(
                    transaction_id, workspace_id, details, by, categorization, origin
                )
            except DomainError as error:
                rejected.append({"line": line.line, "reason": error.detail})
                continue
            taken.add(transaction_id)
            if len(kept) < KEPT_TRANSACTIONS:
                kept.append(cast(Transaction, recorded.mutate(None)))
            if dry_run:
                continue
            chunks.add(recorded)
            if chunks.full:
                if progress is not None:
                    progress("saving", done, total)
                chunks.save(*_changed(categories))
                if progress is not None:
                    progress("kept", chunks.saved, total)
        rejected.sort(key=lambda row: row["line"])
        if not dry_run:
            report = Import.complete(
                import_id,
                workspace_id,
                account_id,
                file_name,
                format,
                len(taken),
                skipped,
                rejected,
                by,
            )
            if progress is not None:
                progress("saving", total, total)
            chunks.save(*_changed(categories), report)
        return ImportReport(
            import_id,
            format,
            dry_run,
            len(taken),
            skipped,
            rejected,
            kept,
            categories,
            chunks.position,
        )

    # Saved CSV profiles

    def save_import_profile(
        self, profile_id: UUID, workspace_id: UUID, name: str, settings: dict[str, Any], by: Actor
    ) -> tuple[ImportProfile, int]:
        _check_profile(settings)
        existing = self._find(ImportProfile, profile_id, workspace_id)
        if existing is not None:  # a retry of the same idempotent command
            return existing, 0
        profile = ImportProfile.save(profile_id, workspace_id, name, settings, by)
        return profile, self.save_all(profile)

    def change_import_profile(
        self,
        workspace_id: UUID,
        profile_id: UUID,
        name: str | None,
        settings: dict[str, Any] | None,
        by: Actor,
    ) -> tuple[ImportProfile, int]:
        profile = self.import_profile(workspace_id, profile_id)
        if settings is not None:
            _check_profile(settings)
        profile.change(name or profile.name, profile.settings if settings is None else settings, by)
        return profile, self.save_all(profile)

    def remove_import_profile(
        self, workspace_id: UUID, profile_id: UUID, by: Actor
    ) -> tuple[ImportProfile, int]:
        profile = self.import_profile(workspace_id, profile_id)
        profile.remove(by)
        return profile, self.save_all(profile)

    def import_profile(self, workspace_id: UUID, profile_id: UUID) -> ImportProfile:
        profile = self._find(ImportProfile, profile_id, workspace_id)
        if profile is None or profile.removed:
            raise NotFoundError("no such import profile")
        return profile

    # Loading

    def get_account(self, workspace_id: UUID, account_id: UUID) -> Account:
        account = self._find(Account, account_id, workspace_id)
        if account is None:
            raise DomainError("no such account in this workspace", "account_id")
        return account

    def get_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None = None
    ) -> Transaction:
        transaction = self._find(Transaction, transaction_id, workspace_id)
        if transaction is None:
            raise NotFoundError("no such transaction")
        check_version(transaction, expected_version)
        return transaction

    def _get_account(
        self, workspace_id: UUID, account_id: UUID, expected_version: int | None
    ) -> Account:
        account = self._find(Account, account_id, workspace_id)
        if account is None:
            raise NotFoundError("no such account")
        check_version(account, expected_version)
        return account

    def _legs(self, workspace_id: UUID, transaction: Transaction) -> list[Transaction]:
        transfer_id = transaction.origin.transfer_id
        if transfer_id is None:
            return [transaction]
        legs = [natural_id(transfer_id, "out"), natural_id(transfer_id, "in")]
        return [
            transaction if leg_id == transaction.id else self.get_transaction(workspace_id, leg_id)
            for leg_id in legs
        ]

    def _with_category(
        self,
        categories: Categories,
        details: TransactionDetails,
        category_name: str | None,
        by: Actor,
    ) -> TransactionDetails:
        if category_name is not None:
            return replace(details, category_id=categories.find_or_add(category_name, by))
        if details.category_id is not None:
            return replace(details, category_id=categories.current(details.category_id))
        return details

    def _find(self, kind: type[T], aggregate_id: UUID, workspace_id: UUID) -> T | None:
        """Another workspace's aggregates, or another kind's, are not there for this one."""
        aggregate = self.find(kind, aggregate_id)
        return aggregate if aggregate and aggregate.workspace_id == workspace_id else None


class AutoCategorizer:
    """The category of a transaction no one categorized: the first rule that matches it (which
    may also add tags and name the merchant), else the category users last chose for its
    merchant (after the rule renamed it), else none."""

    def __init__(self, ledger: Ledger, workspace_id: UUID, categories: Categories) -> None:
        self.ledger = ledger
        self.workspace_id = workspace_id
        self.categories = categories
        found = ledger.find(Rules, Rules.id_for(workspace_id))
        self.rules = [] if found is None else found.rules
        self.memories: dict[str, MerchantMemory | None] = {}
        self.last_rule: UUID | None = None

    def categorize(
        self, details: TransactionDetails
    ) -> tuple[TransactionDetails, Categorization | None]:
        self.last_rule = None
        rule = first_match(
            self.rules, details.description, details.merchant, details.amount, details.account_id
        )
        if rule is not None:
            self.last_rule = rule.id
            details = replace(
                details,
                tags=tuple(dict.fromkeys((*details.tags, *rule.tags)))[:MAX_TAGS],
                merchant=rule.merchant or details.merchant,
            )
            if rule.category_id is not None:
                category_id = self.categories.current(rule.category_id)
                by_rule = Categorization(CategorizedBy.RULE, Decimal(1))
                return replace(details, category_id=category_id), by_rule
        memory = self._memory(details.merchant)
        if memory is None or memory.category_id is None:
            return details, None
        category_id = self.categories.current(memory.category_id)
        learned = Categorization(CategorizedBy.LEARNED, memory.confidence)
        return replace(details, category_id=category_id), learned

    def _memory(self, merchant: str | None) -> MerchantMemory | None:
        if not merchant:
            return None
        key = merchant_key(merchant)
        if key not in self.memories:
            memory_id = MerchantMemory.id_for(self.workspace_id, merchant)
            self.memories[key] = self.ledger.find(MerchantMemory, memory_id)
        return self.memories[key]


def _check_profile(settings: dict[str, Any]) -> None:
    try:
        CsvProfile.from_settings(settings)
    except StatementError as error:
        raise DomainError(error.message, "profile") from None


def _changed(categories: Categories) -> list[Categories]:
    """The categories, when a command changed them (a lone start is not worth saving)."""
    pending = categories.pending_events
    changed = bool(pending) and not (len(pending) == 1 and categories.version == 1)
    return [categories] if changed else []
