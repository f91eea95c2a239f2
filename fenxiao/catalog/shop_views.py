# Placeholder: replaced by the H5 shop work.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


search = brand_store = product_detail = _todo
