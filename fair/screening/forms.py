from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField, SelectChoice,
                     StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fair.screening.services import COMMENT_LENGTH, MAX_CRITERIA, MAX_REVIEWERS, MAX_WEIGHT, CriterionDetails
from fair.screening.totals import MAX_POINTS


class CriterionForm(Form):
    """One line of the rubric; a line left without a name is dropped (no CSRF of its own: it sits inside RubricForm)."""

    name = StringField(_l("评分项"), validators=[Length(max=60)])
    name_en = StringField(_l("英文名称"), validators=[Length(max=80)])
    weight = IntegerField(_l("权重"), validators=[Optional(), NumberRange(min=1, max=MAX_WEIGHT)])


class RubricForm(FlaskForm):
    criteria = FieldList(FormField(CriterionForm), max_entries=MAX_CRITERIA)

    def details(self) -> list[CriterionDetails]:
        return [CriterionDetails(line.form.name.data or "", line.form.name_en.data or "", line.form.weight.data)
                for line in self.criteria if (line.form.name.data or "").strip()]


class ScreeningSettingsForm(FlaskForm):
    reviewers_per_application = IntegerField(
        _l("每个项目的初审专家人数"), validators=[InputRequired(), NumberRange(min=1, max=MAX_REVIEWERS)])
    blind_screening = BooleanField(_l("匿名评审（专家看不到申报单位名称和联系方式）"))


class ReviewForm(FlaskForm):
    """The no-script way to score: a radio group per criterion (added by `review_form`) and a comment."""

    comment = TextAreaField(_l("评审意见"), validators=[Length(max=COMMENT_LENGTH)])
    action = HiddenField()          # "save" or "submit": the value of the button pressed, not a hidden input

    def points(self, criteria) -> dict[int, int]:
        """The criteria the reviewer picked a score for; those left alone keep what was saved."""
        return {criterion.id: self[f"c{criterion.id}"].data for criterion in criteria
                if self[f"c{criterion.id}"].data is not None}


def review_form(criteria, **kwargs) -> ReviewForm:
    """A ReviewForm with one 0–10 radio group per criterion, named c<criterion id>."""
    choices = [SelectChoice(points, str(points)) for points in range(MAX_POINTS + 1)]
    fields = {f"c{criterion.id}": RadioField(criterion.name, coerce=int, validators=[Optional()], choices=choices)
              for criterion in criteria}
    return type("CriteriaReviewForm", (ReviewForm,), fields)(**kwargs)


class ReasonForm(FlaskForm):
    """Settling a duplicate pair: which one to withdraw (none: not a duplicate) and why."""

    withdraw = IntegerField(validators=[Optional()])
    reason = TextAreaField(_l("撤回原因"))
