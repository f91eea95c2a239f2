"""The application-form builder: the questions a brand asks people who apply to its distribution
program, edited as rows (question, answer type, required) instead of JSON.  Stored on the program
as ``[{"label": …, "type": …, "required": …}]``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .programs import APPLICATION_ANSWER_TYPES

ANSWER_TYPES = [
    ("text", _("Short text")),
    ("long", _("Long text")),
    ("phone", _("Phone number")),
    ("number", _("Number")),
]
MAX_QUESTIONS = 10
assert {value for value, _label in ANSWER_TYPES} == APPLICATION_ANSWER_TYPES


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=40, required=False)
    type = forms.ChoiceField(label=_("Answer type"), choices=ANSWER_TYPES, initial="text")
    required = forms.BooleanField(label=_("Required"), required=False)


class BaseQuestionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        labels = [f.cleaned_data.get("label", "").strip() for f in self.forms if f.cleaned_data.get("label")]
        if len(labels) != len(set(labels)):
            raise forms.ValidationError(_("Each question may appear only once."))


QuestionFormSet = forms.formset_factory(
    QuestionForm, formset=BaseQuestionFormSet, extra=2, max_num=MAX_QUESTIONS, validate_max=True
)


def question_formset(data, fields: list[dict]) -> BaseQuestionFormSet:
    """The formset of the program's questions (``fields`` as stored), bound to ``data`` when posted."""
    initial = [
        {"label": f.get("label", ""), "type": f.get("type", "text"), "required": bool(f.get("required"))}
        for f in fields
    ]
    if data is not None:  # posted rows stand on their own: none is skipped as "unchanged"
        return QuestionFormSet(data, prefix="q")
    return QuestionFormSet(initial=initial, prefix="q")


def questions_of(formset: BaseQuestionFormSet) -> list[dict]:
    """The valid formset's questions as stored; rows without a question are dropped."""
    return [
        {
            "label": f.cleaned_data["label"].strip(),
            "type": f.cleaned_data["type"],
            "required": f.cleaned_data["required"],
        }
        for f in formset.forms
        if f.cleaned_data.get("label", "").strip()
    ]
