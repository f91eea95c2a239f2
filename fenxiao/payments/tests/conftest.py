import pytest

from fenxiao.payments.wechatpay_local.merchant import connect_merchant
from fenxiao.payments.wechatpay_local.server import LocalWeChatPay


@pytest.fixture(scope="session")
def wxpay_server():
    server = LocalWeChatPay(auto_notify=False).start()
    yield server
    server.stop()


@pytest.fixture
def wxpay(wxpay_server):
    wxpay_server.auto_notify = False
    wxpay_server.frozen_openids.clear()
    return wxpay_server


@pytest.fixture(params=["public_key", "certificate"])
def merchant(request, wxpay, db):
    """The platform's merchant, in each verification mode."""
    return connect_merchant(wxpay, mode=request.param)
