"""``{% load ledger_terms %}``: ``{{ entry.kind|entry_kind }}`` and ``{{ account|balance_note }}``."""

from __future__ import annotations

from django import template

from fenxiao.ledger import terms

register = template.Library()


@register.filter
def entry_kind(kind: str) -> str:
    return terms.entry_kind_label(str(kind))


@register.filter
def balance_note(account) -> str:
    """The meaning of a ledger account's balance (an object with ``code`` and ``balance``)."""
    return terms.balance_note(account.code, account.balance)


@register.filter
def audit_action(action: str) -> str:
    """An audit record's action; a ledger posting (``ledger.<kind>``) also named in words."""
    action = str(action)
    if not action.startswith("ledger."):
        return action
    return f"{terms.entry_kind_label(action.removeprefix('ledger.'))} ({action})"
