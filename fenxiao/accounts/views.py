# Placeholder: replaced by the accounts work (sign-in, sign-up, brand application).
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


signin = signup = signout = me = brand_apply = _todo
