"""Posting many order settlements at once: the set-based twin of
:func:`services.record_order_settlement` (used by ``trade.settlement``).

:func:`post_order_settlements` writes, for every order of the batch, exactly what
``record_order_settlement`` → ``post_entry`` writes for one order — one ``order_settled`` entry
(same reference and idempotency key), its non-zero lines (Dr platform_clearing goods + shipping −
commission, Cr brand_payable, Cr platform_fee_revenue, per distributor Dr commission_pending /
Cr commission_available), the balances moved and the entry's audit record — with a fixed number of
statements per batch instead of a dozen per order:

1. the batch into scratch tables (orders, commission per distributor, the lines they make);
2. missing accounts created in one ``INSERT … SELECT … WHERE NOT EXISTS`` per kind (``ON CONFLICT
   DO NOTHING``: a concurrent batch may create the same one);
3. the touched accounts locked in id order (PostgreSQL; as ``post_entry`` does, so postings never
   deadlock), then the entries, the lines and one balance update per account;
4. the audit records (``ledger/apps.py`` writes one per entry through ``post_save``; bulk inserts
   send no signals, so they are written here in the same shape).

The sign rules are checked by the database (``ledger_account_sign_rule``) on each account's balance
after the batch.  Every settlement line of one account has the same sign (clearing and pending
are only debited, fee revenue only credited), so the final balance is within its rule exactly
when every intermediate one is: the batch is refused in the same cases as one of its entries
would be.  A refusal raises :class:`LedgerError` and the caller's transaction rolls back.
"""

from __future__ import annotations

from django.db import IntegrityError, connection
from django.utils import timezone

from fenxiao.core import clock
from fenxiao.core.audit import current_actor
from fenxiao.core.models import AuditCategory, AuditRecord
from fenxiao.core.sql import dt, is_postgres, json_object, lock_rows, temp_table, update_from

from .models import SIGN_RULES, AccountCode, JournalEntry, JournalLine, LedgerAccount
from .services import LedgerError, account

ENTRIES = "ledger_batch_entry"
COMMISSIONS = "ledger_batch_commission"
LINES = "ledger_batch_line"
DELTAS = "ledger_batch_delta"
KIND = "order_settled"

ACCOUNT = LedgerAccount._meta.db_table
ENTRY = JournalEntry._meta.db_table
LINE = JournalLine._meta.db_table
AUDIT = AuditRecord._meta.db_table


def post_order_settlements(*, entries: tuple[str, list], commissions: tuple[str, list]) -> int:
    """Post one settlement entry per row of ``entries`` — a SELECT of (position, idempotency key,
    reference, brand id, goods, shipping, platform fee), ``position`` ordering the entries —
    with the commissions of ``commissions`` — a SELECT of columns named ``position``, ``user_id``
    and ``amount`` (summed per position and user; zero sums left out).  Returns
    the number of entries.  Call inside a transaction."""
    with connection.cursor() as cursor:
        temp_table(
            cursor,
            ENTRIES,
            "position BIGINT PRIMARY KEY, ikey VARCHAR(150) NOT NULL, reference VARCHAR(100) NOT NULL,"
            " brand_id BIGINT NOT NULL, goods BIGINT NOT NULL, shipping BIGINT NOT NULL, fee BIGINT NOT NULL,"
            " commission BIGINT NOT NULL DEFAULT 0, brand_account BIGINT, entry_id BIGINT",
        )
        temp_table(
            cursor,
            COMMISSIONS,
            "position BIGINT NOT NULL, brand_id BIGINT NOT NULL, user_id BIGINT NOT NULL,"
            " amount BIGINT NOT NULL, pending_account BIGINT, available_account BIGINT,"
            " PRIMARY KEY (position, user_id)",
        )
        temp_table(
            cursor,
            LINES,
            "position BIGINT NOT NULL, seq INTEGER NOT NULL, account_id BIGINT NOT NULL, amount BIGINT NOT NULL",
        )
        temp_table(cursor, DELTAS, "account_id BIGINT PRIMARY KEY, delta BIGINT NOT NULL")
        sql, params = entries
        cursor.execute(
            f"INSERT INTO {ENTRIES} (position, ikey, reference, brand_id, goods, shipping, fee) {sql}", params
        )
        count = _count(cursor, ENTRIES)
        if not count:
            return 0
        sql, params = commissions
        cursor.execute(
            f"INSERT INTO {COMMISSIONS} (position, brand_id, user_id, amount)"
            f" SELECT x.position, e.brand_id, x.user_id, SUM(x.amount) FROM ({sql}) x"
            f" JOIN {ENTRIES} e ON e.position = x.position"
            " GROUP BY x.position, e.brand_id, x.user_id HAVING SUM(x.amount) <> 0",
            params,
        )
        update_from(
            cursor,
            ENTRIES,
            {"commission": "c.total"},
            f"(SELECT position, SUM(amount) AS total FROM {COMMISSIONS} GROUP BY position) c",
            f"c.position = {ENTRIES}.position",
        )
        _refuse_bad(cursor)
        clearing, fee = _accounts(cursor)
        _lines(cursor, clearing, fee)
        if is_postgres():
            cursor.execute(
                f"SELECT id FROM {ACCOUNT} WHERE id IN (SELECT account_id FROM {LINES})"
                f" ORDER BY id{lock_rows()}"
            )
        _entries_and_lines(cursor)
        try:
            update_from(
                cursor,
                ACCOUNT,
                {"balance": f"{ACCOUNT}.balance + d.delta"},
                f"{DELTAS} d",
                f"d.account_id = {ACCOUNT}.id",
                rows=f"id IN (SELECT account_id FROM {DELTAS})",
            )
        except IntegrityError as exc:
            raise LedgerError(f"a settlement batch would break an account's sign rule: {exc}") from exc
        _audit(cursor)
        return count


def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    return cursor.fetchone()[0]


def _refuse_bad(cursor) -> None:
    cursor.execute(
        f"SELECT position FROM {ENTRIES} WHERE goods - commission - fee + shipping < 0 ORDER BY position"
    )
    bad = [row[0] for row in cursor.fetchmany(10)]
    if bad:
        raise LedgerError(f"commission and fee exceed what was paid for the goods (positions {bad})")
    cursor.execute(
        f"SELECT e.ikey FROM {ENTRIES} e WHERE EXISTS (SELECT 1 FROM {ENTRY} j WHERE j.idempotency_key = e.ikey)"
        " ORDER BY e.position"
    )
    used = [row[0] for row in cursor.fetchmany(10)]
    if used:
        raise LedgerError(f"idempotency keys already used: {used} (settle those one by one)")


def _accounts(cursor) -> tuple[int, int]:
    """Create the missing accounts (brand payable per brand, pending/available per brand and
    distributor) and write their ids into the scratch tables."""
    clearing = account(AccountCode.PLATFORM_CLEARING).pk
    fee = account(AccountCode.PLATFORM_FEE_REVENUE).pk
    payable = AccountCode.BRAND_PAYABLE
    cursor.execute(
        f"INSERT INTO {ACCOUNT} (code, brand_id, sign_rule, balance)"
        f" SELECT DISTINCT %s, e.brand_id, %s, 0 FROM {ENTRIES} e WHERE NOT EXISTS (SELECT 1 FROM {ACCOUNT} a"
        " WHERE a.code = %s AND a.brand_id = e.brand_id AND a.user_id IS NULL)"
        " ORDER BY 2 ON CONFLICT DO NOTHING",
        [payable, SIGN_RULES[payable], payable],
    )
    update_from(
        cursor,
        ENTRIES,
        {"brand_account": "a.id"},
        f"{ACCOUNT} a",
        f"a.code = %s AND a.brand_id = {ENTRIES}.brand_id AND a.user_id IS NULL",
        [payable],
    )
    for code, column in (
        (AccountCode.COMMISSION_PENDING, "pending_account"),
        (AccountCode.COMMISSION_AVAILABLE, "available_account"),
    ):
        cursor.execute(
            f"INSERT INTO {ACCOUNT} (code, brand_id, user_id, sign_rule, balance)"
            f" SELECT DISTINCT %s, c.brand_id, c.user_id, %s, 0 FROM {COMMISSIONS} c"
            f" WHERE NOT EXISTS (SELECT 1 FROM {ACCOUNT} a"
            " WHERE a.code = %s AND a.brand_id = c.brand_id AND a.user_id = c.user_id)"
            " ORDER BY 2, 3 ON CONFLICT DO NOTHING",
            [code, SIGN_RULES[code], code],
        )
        update_from(
            cursor,
            COMMISSIONS,
            {column: "a.id"},
            f"{ACCOUNT} a",
            f"a.code = %s AND a.brand_id = {COMMISSIONS}.brand_id AND a.user_id = {COMMISSIONS}.user_id",
            [code],
        )
    return clearing, fee


def _lines(cursor, clearing: int, fee: int) -> None:
    """The lines of every entry (zero amounts left out, as ``post_entry`` does) and their sum per
    account."""
    cursor.execute(
        f"INSERT INTO {LINES} (position, seq, account_id, amount) SELECT * FROM ("
        f" SELECT position, 0 AS seq, {int(clearing)} AS account_id, goods + shipping - commission AS amount"
        f" FROM {ENTRIES}"
        f" UNION ALL SELECT position, 1, brand_account, -(goods - commission - fee + shipping) FROM {ENTRIES}"
        f" UNION ALL SELECT position, 2, {int(fee)}, -fee FROM {ENTRIES}"
        f" UNION ALL SELECT position, 3, pending_account, amount FROM {COMMISSIONS}"
        f" UNION ALL SELECT position, 4, available_account, -amount FROM {COMMISSIONS}"
        ") x WHERE x.amount <> 0"
    )
    cursor.execute(
        f"INSERT INTO {DELTAS} (account_id, delta)"
        f" SELECT account_id, SUM(amount) FROM {LINES} GROUP BY account_id HAVING SUM(amount) <> 0"
    )


def _entries_and_lines(cursor) -> None:
    # created_at is the wall clock, like the model's auto_now_add.
    insert = (
        f"INSERT INTO {ENTRY} (kind, reference, idempotency_key, memo, created_at)"
        f" SELECT %s, reference, ikey, '', %s FROM {ENTRIES} ORDER BY position"
    )
    params = [KIND, dt(timezone.now())]
    if is_postgres():  # the new ids straight from the INSERT
        cursor.execute(
            f"WITH j AS ({insert} RETURNING id, idempotency_key)"
            f" UPDATE {ENTRIES} SET entry_id = j.id FROM j WHERE j.idempotency_key = {ENTRIES}.ikey",
            params,
        )
    else:
        cursor.execute(insert, params)
        update_from(
            cursor, ENTRIES, {"entry_id": "j.id"}, f"{ENTRY} j", f"j.idempotency_key = {ENTRIES}.ikey"
        )
    cursor.execute(
        f"INSERT INTO {LINE} (entry_id, account_id, amount)"
        f" SELECT e.entry_id, l.account_id, l.amount FROM {LINES} l CROSS JOIN {ENTRIES} e"
        " WHERE e.position = l.position ORDER BY l.position, l.seq, l.account_id"
    )


def _audit(cursor) -> None:
    actor = current_actor()
    detail = json_object(entry_id="entry_id", memo="''", idempotency_key="ikey")
    ip = "CAST(%s AS inet)" if is_postgres() else "%s"
    cursor.execute(
        f"INSERT INTO {AUDIT} (at, category, actor_user_id, actor_label, brand_id, action, target,"
        f" status_code, ip, detail) SELECT %s, %s, %s, %s, NULL, %s, reference, NULL, {ip}, {detail}"
        f" FROM {ENTRIES} ORDER BY position",
        [
            dt(clock.now()),
            AuditCategory.MONEY,
            actor.user_id if actor else None,
            actor.label if actor else "",
            f"ledger.{KIND}",
            actor.ip if actor else None,
        ],
    )
