from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class PhoneOrEmailBackend(ModelBackend):
    """Authenticate with a phone number or an e-mail address and a password."""

    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        identifier = (username or kwargs.get("phone") or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        User = get_user_model()
        query = Q(email__iexact=identifier) if "@" in identifier else Q(phone=identifier)
        user = User.objects.filter(query).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
