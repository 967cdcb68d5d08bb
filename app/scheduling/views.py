"""Staff pages for follow-ups: today's reminders, reminders on a case, the rules, the outbox."""


from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import CASE_WORKERS, access
from app.cases.models import Case
from app.extensions import db
from app.inputs import MAX_PAGE, int_arg, page_arg
from app.scheduling import outbox_admin, queries, reminders, rule_admin
from app.scheduling.forms import ACTION_LABELS, ActionForm, ReminderForm, RuleForm, SnoozeForm
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.scheduling.panel import new_reminder_form
from app.timeutil import BERLIN, today_berlin

bp = Blueprint("scheduling", __name__)
LEAD = "lead"
# A mail's HTML shown in a frame of its outbox page: its inline styles, images from here, no script, no form.
MAIL_FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; "
                  "sandbox allow-popups allow-popups-to-escape-sandbox")
RULE_EDITORS = ("lead", "admin")


@bp.app_context_processor
def due_badge():
    """The navigation's count of due reminders: one COUNT, and only when the page shows the link."""

    def count() -> int:
        if not current_user.is_authenticated or current_user.role not in CASE_WORKERS:
            return 0
        return queries.due_count(current_user.id)

    return {"due_reminder_count": count, "due_count_cap": queries.DUE_COUNT_CAP}


@bp.app_template_filter("mail_template")
def mail_template(key: str) -> str:
    """An email template's German label, e.g. on the outbox page and in the case page's notice."""
    return outbox_admin.template_label(key)


def _page_size() -> int:
    return current_app.config["PAGE_SIZE"]


def _back(case_id: int):
    """Back to /today when the action started there (?back=today), else to the case."""
    if request.args.get("back") == "today":
        return redirect(url_for("scheduling.today", page=int_arg("page", maximum=MAX_PAGE)))
    return redirect(url_for("cases.show", case_id=case_id, _anchor="reminders-heading"))


# --- reminders ---------------------------------------------------------------------------------------------------


@bp.get("/today")
@access(*CASE_WORKERS)
def today():
    """My reminders due today or overdue, oldest first, with done and snooze buttons."""
    page = queries.due_for(current_user.id, page_arg(), _page_size())
    # The lead steers the team: Heute names the team's overdue reminders too (the review queue lists them).
    team_overdue = queries.team_overdue_count() if current_user.role == LEAD else None
    return render_template("scheduling/today.html", page=page, team_overdue=team_overdue,
                           team_overdue_cap=queries.TEAM_OVERDUE_CAP)


def _input(form: ReminderForm) -> reminders.ReminderInput:
    return reminders.ReminderInput(form.title.data, reminders.berlin_time(form.due_date.data, form.due_time.data),
                                   form.assignee_id.data)


@bp.route("/cases/<int:case_id>/reminders/new", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def new_reminder(case_id: int):
    """Create a reminder on the case (the case page carries the same form)."""
    case = db.get_or_404(Case, case_id)
    form = new_reminder_form(case, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        reminders.add(case, current_user, _input(form))
        flash(_("The reminder is saved."), "success")
        return redirect(url_for("cases.show", case_id=case.id, _anchor="reminders-heading"))
    status = 422 if request.method == "POST" else 200
    return render_template("scheduling/reminder_form.html", form=form, case=case, reminder=None), status


def _load(reminder_id: int) -> tuple[Reminder, bool]:
    """The reminder, and whether it is still open (a done or cancelled one is only reported)."""
    reminder = db.get_or_404(Reminder, reminder_id)
    if reminder.state != "open":
        flash(_("This reminder is already done or cancelled."), "warning")
        return reminder, False
    return reminder, True


@bp.route("/reminders/<int:reminder_id>/edit", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def edit_reminder(reminder_id: int):
    """Change an open reminder's title, due time or assignee."""
    reminder, is_open = _load(reminder_id)
    if not is_open:
        return _back(reminder.case_id)
    due = reminder.due_at.astimezone(BERLIN)
    people = reminders.assignees()
    if reminder.assignee_id not in {user.id for user in people}:
        people.append(reminder.assignee)  # a disabled assignee stays possible until someone changes it
    form = ReminderForm(prefix="reminder", earliest=min(today_berlin(), due.date()), assignees=people,
                        data={"title": reminder.title, "due_date": due.date(),
                              "due_time": due.time().replace(tzinfo=None), "assignee_id": reminder.assignee_id})
    if form.validate_on_submit():
        reminders.edit(reminder, _input(form))
        flash(_("The reminder is saved."), "success")
        return _back(reminder.case_id)
    status = 422 if request.method == "POST" else 200
    case = db.session.get(Case, reminder.case_id)
    return render_template("scheduling/reminder_form.html", form=form, case=case, reminder=reminder), status


@bp.post("/reminders/<int:reminder_id>/done")
@access(*CASE_WORKERS)
def complete_reminder(reminder_id: int):
    """Mark a reminder as done."""
    reminder, is_open = _load(reminder_id)
    if is_open:
        if not ActionForm().validate_on_submit():
            abort(400)
        reminders.complete(reminder, current_user)
        flash(_("Done: %(title)s", title=reminder.title), "success")
    return _back(reminder.case_id)


@bp.post("/reminders/<int:reminder_id>/snooze")
@access(*CASE_WORKERS)
def snooze_reminder(reminder_id: int):
    """Postpone a reminder by a day, a week or to a chosen date (same time of day)."""
    reminder, is_open = _load(reminder_id)
    if not is_open:
        return _back(reminder.case_id)
    form = SnoozeForm(today=today_berlin())
    if not form.validate_on_submit():
        case = db.session.get(Case, reminder.case_id)
        return render_template("scheduling/snooze.html", form=form, reminder=reminder, case=case), 422
    if form.by.data == "date":
        until = reminders.berlin_time(form.until.data, reminder.due_at.astimezone(BERLIN).time().replace(tzinfo=None))
    else:
        until = reminders.snoozed_until(reminder, reminders.SNOOZE_DAYS[form.by.data])
    reminders.snooze(reminder, current_user, until)
    flash(_("Postponed to %(due)s: %(title)s", due=format_datetime(until, "dd.MM.yyyy HH:mm"), title=reminder.title),
          "success")
    return _back(reminder.case_id)


# --- follow-up rules ---------------------------------------------------------------------------------------------


@bp.get("/rules")
@access(*RULE_EDITORS)
def rules():
    """The follow-up rules grouped by the state that triggers them."""
    return render_template("scheduling/rules.html", groups=rule_admin.rules_by_state(), action_labels=ACTION_LABELS)


def _edit_rule(rule: FollowUpRule, title: str):
    form = RuleForm(obj=None if request.method == "POST" or rule.id is None else rule)
    if form.validate_on_submit():
        rule_admin.save(rule, state=form.state.data, action=form.action.data, delay_days=form.delay_days.data,
                        title=form.title.data, template_key=form.template_key.data or None,
                        until_answer=form.until_answer.data, active=form.active.data)
        flash(_("The rule is saved. It applies to cases that enter the state from now on."), "success")
        return redirect(url_for("scheduling.rules"))
    status = 422 if request.method == "POST" else 200
    return render_template("scheduling/rule_form.html", form=form, rule=rule, title=title), status


@bp.route("/rules/new", methods=["GET", "POST"])
@access(*RULE_EDITORS)
def new_rule():
    """Add a follow-up rule."""
    return _edit_rule(FollowUpRule(), _("New follow-up rule"))


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@access(*RULE_EDITORS)
def edit_rule(rule_id: int):
    """Change a follow-up rule."""
    return _edit_rule(db.get_or_404(FollowUpRule, rule_id), _("Edit follow-up rule"))


@bp.post("/rules/<int:rule_id>/active")
@access(*RULE_EDITORS)
def set_rule_active(rule_id: int):
    """Switch a rule on or off (active=1 or active=0)."""
    rule = db.get_or_404(FollowUpRule, rule_id)
    if not ActionForm().validate_on_submit() or request.form.get("active") not in ("0", "1"):
        abort(400)
    rule_admin.set_active(rule, request.form["active"] == "1")
    flash(_("The rule is switched on.") if rule.active else _("The rule is switched off."), "success")
    return redirect(url_for("scheduling.rules"))


# --- outbox ------------------------------------------------------------------------------------------------------


@bp.get("/outbox")
@access(LEAD)
def outbox():
    """The outbox: by default failed and waiting emails, the most urgent first; all or one status on request."""
    wanted = request.args.get("status")
    view = wanted if wanted in outbox_admin.STATUS_LABELS or wanted == queries.ALL else queries.OPEN
    counts = queries.outbox_counts()
    page = queries.outbox_page(view, page_arg(), _page_size(), counts)
    return render_template("scheduling/outbox.html", page=page, view=view, counts=counts,
                           open_count=sum(counts.get(status, 0) for status in queries.OPEN_STATUSES),
                           cap=queries.OUTBOX_COUNT_CAP,
                           labels=outbox_admin.STATUS_LABELS, can_retry=outbox_admin.can_retry,
                           can_cancel=outbox_admin.can_cancel)


@bp.get("/outbox/<int:outbox_id>")
@access(LEAD)
def show_mail(outbox_id: int):
    """One email as the recipient reads it: subject, text and the HTML version (a preview while still waiting)."""
    row = db.get_or_404(OutboxMessage, outbox_id)
    return render_template("scheduling/mail.html", mail=row, content=outbox_admin.content(row),
                           labels=outbox_admin.STATUS_LABELS)


@bp.get("/outbox/<int:outbox_id>/html")
@access(LEAD)
def mail_html(outbox_id: int):
    """The email's HTML version alone, for the frame on its page: the mail's own inline styles, no script."""
    content = outbox_admin.content(db.get_or_404(OutboxMessage, outbox_id))
    response = Response(content.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _outbox_action(outbox_id: int, action, done: str):
    row = db.get_or_404(OutboxMessage, outbox_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(row, current_user)
    except outbox_admin.OutboxRefused as refused:
        flash(refused.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("scheduling.outbox", **request.args))


@bp.post("/outbox/<int:outbox_id>/retry")
@access(LEAD)
def retry_mail(outbox_id: int):
    """Send a failed or cancelled email again, now."""
    return _outbox_action(outbox_id, outbox_admin.retry, _("The email is queued again and goes out shortly."))


@bp.post("/outbox/<int:outbox_id>/cancel")
@access(LEAD)
def cancel_mail(outbox_id: int):
    """Cancel a waiting or failed email."""
    return _outbox_action(outbox_id, outbox_admin.cancel, _("The email is cancelled."))
