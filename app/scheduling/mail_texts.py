"""Mail texts an administrator edited: kept in the database, checked before saving, rendered in a sandbox.

Admins type Jinja here, so it never runs with the app's own template environment: a sandboxed environment
(jinja2.sandbox) renders it without the app's globals (config, request, url_for), with `extends` and `include`
limited to templates/mail/, and refuses underscore attributes, anything named like a password, token, hash or
secret, and on database rows everything but their columns and relationships (a row's `query` or `metadata`
would reach the database). Before saving, each part must parse, name only the placeholders the mail has, and
touch no such attribute.
"""

import base64
import hashlib
import re
from html import unescape
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from jinja2 import FileSystemLoader, Template, TemplateNotFound, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.models import MailText

# The follow-up mails to businesses and partners; the scouts' internal digest stays a file template.
EDITABLE = [key for key, template in TEMPLATES.items() if template.audience in ("business", "partner")]
PARTS = ("subject", "body_text", "body_html")
SUFFIXES = {"subject": ".subject.txt", "body_text": ".txt", "body_html": ".html"}
PART_LABELS = {"subject": _l("subject"), "body_text": _l("plain text"), "body_html": _l("HTML")}
LIMITS = {"subject": 300, "body_text": 20_000, "body_html": 50_000}
# What every mail about a case has (app.scheduling.mails.render and mails.common).
COMMON_NAMES = {"row", "chamber", "signature", "unsubscribe_url", "case", "business", "scout", "greeting",
                "reply_to", "quoted_list", "purpose", "reason", "scout_label"}
CASE_NAMES = {"case", "business", "scout", "reply_to", "quoted_list"}  # not in a mail sent before the case exists
STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"', re.IGNORECASE)
SECRET = re.compile(r"password|token|secret|hash|session", re.IGNORECASE)


class Texts(NamedTuple):
    subject: str
    body_text: str
    body_html: str


class MailLoader(FileSystemLoader):
    """templates/mail/ only: an edited mail may extend the mail layout or include the footer, nothing else."""

    def get_source(self, environment, template):
        if not template.startswith("mail/") or ".." in template:
            raise TemplateNotFound(template)
        return super().get_source(environment, template)


class MailSandbox(ImmutableSandboxedEnvironment):
    COMPILED_KEPT = 64  # the dispatcher renders one text for many mails: compile each source once

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.compiled: dict[str, Template] = {}

    def template(self, source: str) -> Template:
        if (template := self.compiled.get(source)) is None:
            if len(self.compiled) >= self.COMPILED_KEPT:
                self.compiled.clear()
            template = self.compiled[source] = self.from_string(source)
        return template

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if not super().is_safe_attribute(obj, attr, value) or SECRET.search(attr):
            return False
        if isinstance(obj, db.Model):
            return attr in sa_inspect(type(obj)).attrs
        return True

    def unsafe_undefined(self, obj, attribute):
        """Refuse at once (Jinja's default prints an unsafe attribute as an empty string)."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")


def _environment(html: bool) -> MailSandbox:
    app = current_app._get_current_object()
    key = f"procheck.mail_sandbox.{'html' if html else 'text'}"
    if key not in app.extensions:
        # The plain text is written for trim_blocks, as app.scheduling.mails renders the file templates.
        env = MailSandbox(loader=MailLoader(app.template_folder), autoescape=html, trim_blocks=not html,
                          lstrip_blocks=not html)
        env.filters.update(app.jinja_env.filters)
        env.tests.update(app.jinja_env.tests)
        app.extensions[key] = env
    return app.extensions[key]


def default_texts(key: str) -> Texts:
    """The file templates' sources, as the editor starts from them."""
    loader = current_app.jinja_loader
    return Texts(*(loader.get_source(current_app.jinja_env, f"mail/{key}{SUFFIXES[part]}")[0] for part in PARTS))


def known_names(key: str) -> set[str]:
    """The placeholders the mail has: what its default texts, the layout and the footer use, and the common ones.

    Read with the sandbox that renders the edited texts: the app's environment would hide a placeholder named like
    one of its globals (the opt-in's `request`)."""
    env, sandbox = current_app.jinja_env, _environment(False)
    names = set(COMMON_NAMES)
    sources = list(default_texts(key)) + [env.loader.get_source(env, name)[0]
                                          for name in ("mail/_layout.html", "mail/_footer.txt")]
    for source in sources:
        names |= meta.find_undeclared_variables(sandbox.parse(source))
    return names if TEMPLATES[key].about_case else names - CASE_NAMES


def _forbidden(tree: nodes.Template) -> str | None:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(name, str) and (name.startswith("_") or SECRET.search(name)):
            return name
    return None


def check(key: str, texts: Texts) -> None:
    """Refuse (DomainError naming the part and the problem) what does not parse, names an unknown placeholder
    or reaches for an internal attribute."""
    known = known_names(key)
    for part in PARTS:
        source = getattr(texts, part)
        label = PART_LABELS[part]
        if not source.strip():
            raise DomainError(_l("The %(part)s must not be empty.", part=label), part)
        if len(source) > LIMITS[part]:
            raise DomainError(_l("The %(part)s may have at most %(max)d characters.", part=label,
                                 max=LIMITS[part]), part)
        if part == "subject" and ("\n" in source.strip() or "\r" in source):
            raise DomainError(_l("The subject must be a single line."), part)
        env = _environment(part == "body_html")
        try:
            tree = env.parse(source)
            env.compile(tree)  # unknown filters and tests show here
        except TemplateSyntaxError as error:
            raise DomainError(_l("Syntax error in the %(part)s, line %(line)d: %(message)s", part=label,
                                 line=error.lineno, message=error.message), part) from error
        if unknown := sorted(meta.find_undeclared_variables(tree) - known):
            raise DomainError(_l("Unknown placeholder in the %(part)s: %(name)s. Available: %(known)s", part=label,
                                 name=", ".join(unknown), known=", ".join(sorted(known))), part)
        if name := _forbidden(tree):
            raise DomainError(_l("The %(part)s may not use “%(name)s”: internal values cannot be shown in a mail.",
                                 part=label, name=name), part)


def override_for(key: str) -> MailText | None:
    return db.session.get(MailText, key)


def render(texts: Texts | MailText, context: dict) -> Texts:
    """Render the three parts in the sandbox (a SecurityError or any template error propagates)."""
    return Texts(*(_environment(part == "body_html").template(getattr(texts, part)).render(context)
                   for part in PARTS))


def style_hashes(html: str) -> list[str]:
    """CSP sources for exactly the style attributes of a rendered mail: the preview frame shows the mail with its
    inline styles while the page still allows no other inline style ('unsafe-hashes', CSP level 3)."""
    values = {unescape(value) for value in STYLE_ATTRIBUTE.findall(html)}
    return [f"'sha256-{base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()}'"
            for value in sorted(values)]


def edited_keys() -> set[str]:
    return set(db.session.scalars(select(MailText.template_key)))
