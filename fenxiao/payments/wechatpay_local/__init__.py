"""A local server that speaks the WeChat Pay API v3 protocol, for tests and demos.

It plays WeChat Pay: checks the merchant's request signatures, answers with real payload shapes
signed by its own key pair, serves encrypted platform certificates, keeps transactions, refunds and
transfer batches in memory, and sends signed + AES-256-GCM-encrypted notifications.
Start it in a thread (:class:`~.server.LocalWeChatPay`) or with ``manage.py wechatpay_local``."""
