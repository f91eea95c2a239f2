from django.core.exceptions import ValidationError


class TradeError(ValidationError):
    """A request the trade rules refuse; the message is for the person who made it."""
