"""The administrator's pages for the follow-up mail texts: the list, the editor with its preview, the reset."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth.access import access
from app.errors import DomainError
from app.headers import CSP
from app.inputs import parse_int
from app.scheduling import mail_text_admin, mail_texts
from app.scheduling.forms import ActionForm, MailTextForm
from app.scheduling.mail_templates import BASIS_LABELS, TEMPLATES, TYPE_LABELS
from app.scheduling.mail_texts import Texts

bp = Blueprint("mail_texts", __name__, url_prefix="/admin/mail-texts")
ADMIN = "admin"


def _template(key: str):
    if key not in mail_texts.EDITABLE:
        abort(404)
    return TEMPLATES[key]


@bp.get("")
@access(ADMIN)
def index():
    """The follow-up mails whose texts the administrator may edit, and which of them are edited."""
    return render_template("scheduling/mail_texts.html", templates=[TEMPLATES[k] for k in mail_texts.EDITABLE],
                           edited=mail_texts.edited_keys(), type_labels=TYPE_LABELS, basis_labels=BASIS_LABELS)


def _texts(form: MailTextForm) -> Texts:
    return Texts((form.subject.data or "").strip(), form.body_text.data or "", form.body_html.data or "")


@bp.route("/<key>", methods=["GET", "POST"])
@access(ADMIN)
def edit(key: str):
    """Edit a mail's texts; "Preview" renders them for a sample case, "Save" checks and stores them."""
    template = _template(key)
    edited = mail_texts.override_for(key)
    form = MailTextForm(obj=edited or mail_texts.default_texts(key))
    status, shown, problem = 200, None, None
    asked = (form.case_id.data or "").strip()
    case = mail_text_admin.sample_case(parse_int(asked)) if asked else mail_text_admin.sample_case()
    if form.is_submitted() and not form.validate():
        status = 422
    elif form.is_submitted() and asked and (case is None or parse_int(asked) is None):
        form.case_id.errors.append(_("There is no case with this number."))
        status = 422
    elif form.is_submitted():
        try:
            if request.form.get("action") == "save":
                with transactions.refusable():
                    mail_text_admin.save(key, _texts(form), current_user, case)
                flash(_("The mail text is saved; mails sent from now on use it."), "success")
                return redirect(url_for("mail_texts.edit", key=key))
            mail_texts.check(key, _texts(form))
            if case is not None:
                shown = mail_text_admin.preview(key, _texts(form), case)
        except DomainError as error:
            problem, status = error.message, 422
            if error.field in ("subject", "body_text", "body_html", "case_id"):
                form[error.field].errors.append(error.message)
    elif case is not None:
        try:
            shown = mail_text_admin.preview(key, _texts(form), case)
        except DomainError as error:
            problem = error.message
    response = make_response(render_template(
        "scheduling/mail_text_form.html", template=template, form=form, edited=edited, preview=shown,
        problem=problem, case=case, reset_form=ActionForm(), names=sorted(mail_texts.known_names(key))), status)
    if shown is not None and (hashes := mail_texts.style_hashes(shown.body_html)):
        # The preview frame (srcdoc, sandboxed) inherits this page's policy: allow the mail's own styles only.
        response.headers["Content-Security-Policy"] = CSP.replace(
            "style-src 'self'", f"style-src 'self' 'unsafe-hashes' {' '.join(hashes)}")
    return response


@bp.post("/<key>/reset")
@access(ADMIN)
def reset(key: str):
    """Go back to the default text of the mail."""
    _template(key)
    if ActionForm().validate_on_submit() and mail_text_admin.reset(key, current_user):
        flash(_("The mail uses its default text again."), "success")
    return redirect(url_for("mail_texts.edit", key=key))
