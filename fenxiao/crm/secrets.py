"""Official Account secrets at rest: ``core.secrets`` with a CRM-specific key derivation."""

from __future__ import annotations

from fenxiao.core.secrets import SecretBox

_BOX = SecretBox(salt=None, info=b"fenxiao.crm.wechat-account-secrets.v1")
encrypt = _BOX.encrypt
decrypt = _BOX.decrypt
