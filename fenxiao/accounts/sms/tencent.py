"""Tencent Cloud SMS (短信, API 2021-01-11 ``SendSms``) through Tencent's own SDK,
``tencentcloud-sdk-python-sms``.  Configuration: ``settings.TENCENT_SMS`` (docs/sms.md).

The template must have one parameter for the code and one for the minutes it is valid, in that
order, e.g. "您的验证码是{1}，{2}分钟内有效。".
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from .base import SmsProvider, SmsSendError

REQUIRED = ("SECRET_ID", "SECRET_KEY", "SDK_APP_ID", "SIGN_NAME", "TEMPLATE_ID")


class TencentSmsProvider(SmsProvider):
    name = "tencent"

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        self.config = dict(config if config is not None else settings.TENCENT_SMS)
        missing = [key for key in REQUIRED if not self.config.get(key)]
        if missing:
            raise SmsSendError(
                "Tencent SMS is not configured: set " + ", ".join(f"TENCENT_SMS_{key}" for key in missing)
            )

    def _client(self) -> sms_client.SmsClient:
        http = HttpProfile(
            protocol=self.config.get("PROTOCOL") or "https",
            endpoint=self.config.get("ENDPOINT") or None,  # None: sms.tencentcloudapi.com
            reqMethod="POST",
            reqTimeout=10,
        )
        cred = credential.Credential(self.config["SECRET_ID"], self.config["SECRET_KEY"])
        return sms_client.SmsClient(
            cred, self.config.get("REGION") or "ap-guangzhou", ClientProfile(httpProfile=http)
        )

    def send_code(self, *, phone: str, code: str, minutes: int) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.config["SDK_APP_ID"]
        request.SignName = self.config["SIGN_NAME"]
        request.TemplateId = self.config["TEMPLATE_ID"]
        request.TemplateParamSet = [code, str(minutes)]
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsSendError(f"Tencent SMS refused the request: {exc.code} {exc.message}") from exc
        statuses = response.SendStatusSet or []
        if len(statuses) != 1 or statuses[0].Code != "Ok":
            detail = "; ".join(f"{s.Code} {s.Message}" for s in statuses) or "no send status"
            raise SmsSendError(f"Tencent SMS did not send (request {response.RequestId}): {detail}")
        return statuses[0].SerialNo or response.RequestId
