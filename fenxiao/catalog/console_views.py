# Placeholder: replaced by the catalog console work.
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


product_list = import_products = _todo
