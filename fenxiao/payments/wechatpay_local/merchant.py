"""Set up a merchant on both sides (a fresh key pair registered at the local provider, and the
matching encrypted :class:`MerchantAccount`) — for tests and the demo command.  Nothing is
downloaded and no key is committed: keys are generated here, at run time."""

from __future__ import annotations

import secrets

from django.db import transaction

from ..models import MerchantAccount, VerificationMode
from . import protocol
from .server import LocalMerchant, LocalWeChatPay


@transaction.atomic
def connect_merchant(
    server: LocalWeChatPay,
    *,
    mode: str = VerificationMode.PUBLIC_KEY,
    mchid: str = "1900000109",
    appid: str = "wxd678efh567hg6787",
    notify_url: str = "",
    name: str = "Local WeChat Pay merchant",
) -> MerchantAccount:
    key = protocol.new_key()
    serial = secrets.token_hex(20).upper()
    apiv3_key = secrets.token_hex(16)
    server.register_merchant(
        LocalMerchant(mchid, appid, apiv3_key, protocol.public_pem(key), serial, mode=str(mode))
    )
    MerchantAccount.objects.filter(active=True).update(active=False)
    public = mode == VerificationMode.PUBLIC_KEY
    account = MerchantAccount(
        name=name,
        mchid=mchid,
        appid=appid,
        cert_serial_no=serial,
        verification_mode=mode,
        wechatpay_public_key_id=server.public_key_id if public else "",
        wechatpay_public_key=server.public_key_pem if public else "",
        api_base_url=server.url,
        notify_url=notify_url,
    )
    account.apiv3_key = apiv3_key
    account.private_key = protocol.private_pem(key)
    account.save()
    return account
