"""The form fuzzer: read the forms of a page as a browser does, and send each of them back with hostile values.

:func:`parse_forms` finds every ``<form>`` of a page (its method, action and encoding, and its fields: inputs
with their type and value, text areas, selects with their options, the named submit buttons, and the fields
outside the form that name it with ``form=``). :class:`Fuzzer` posts each form, for every hostile value of
:data:`HOSTILE`, with *every* field set to that value (the buttons' names included: what a script sends,
not what a browser does), then field by field: the form as the page filled it in, one field hostile, for a
few values chosen by the field's type (and 1 MB in each text field). Every answer of 500 or more is collected with the page, the form, the
field, the value and the exception. Each request runs in a savepoint that is rolled back and with the
client's cookies put back afterwards, so that one post (a withdrawal, a log-out, a deletion) leaves the
world as it was for the next one.
"""

import copy
import itertools
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

# 1 MB of text: ASCII, so that a form posts 1 MB (non-ASCII is three times longer URL-encoded, and more than
# the 2.5 MB Django reads of a body is refused with a 400 before any view).
MEGABYTE = ("Hostile but harmless text. " * 40000)[:1024 * 1024]  # (URL-encoded fast: letters, spaces, dots)
HOSTILE = [
    ("1 MB string", MEGABYTE),
    ("NUL", "before\x00after"),
    ("control characters", "\x01\x07\x08\x1b[31m\x7f"),
    ("RTL override and BOM", "\u202egnp.exe\ufeff"),
    ("-1", "-1"),
    ("-999999999999", "-999999999999"),
    ("1e309", "1e309"),
    ("NaN", "NaN"),
    ("Infinity", "-Infinity"),
    ("400 nines", "9" * 400),
    ("superscript digits", "²³"),  # str.isdigit() says yes, int() says no
    ("2027-02-30", "2027-02-30"),
    ("0000-00-00", "0000-00-00"),
    ("99999-12-31", "99999-12-31"),
    ("emoji", "👩🏽‍🔧🇱🇻" * 3),
    ("SQL", "' OR 1=1; DROP TABLE applications_application; --"),
    ("HTML", '"><script>alert(1)</script><img src=x onerror=alert(1)>'),
    ("empty", ""),
    ("spaces", "   "),
]
BY_LABEL = dict(HOSTILE)
NUMBERS = ["-1", "-999999999999", "1e309", "NaN", "Infinity", "400 nines", "superscript digits"]
DATES = ["2027-02-30", "0000-00-00", "99999-12-31", "NUL"]
TEXTS = ["NUL", "RTL override and BOM", "emoji", "SQL", "HTML", "spaces", "control characters"]
CHOICES = ["400 nines", "superscript digits", "-1", "SQL", "empty", "NUL"]
# Field by field: this many values per field, taken in turn from the values of the field's kind.
PER_FIELD = 2
TEXT_TYPES = {"text", "search", "email", "url", "tel", "password", "textarea", ""}
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}  # the CSRF check is Django's; a wrong token is a 403 by design


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select", "submit"
    value: str = ""
    checked: bool = False
    options: list = field(default_factory=list)
    selected: list = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    page: str
    method: str
    action: str
    enctype: str
    form_id: str
    htmx: bool
    fields: list = field(default_factory=list)

    @property
    def target(self):
        return urljoin(self.page, self.action or self.page)

    @property
    def buttons(self):
        return [f for f in self.fields if f.kind == "submit" and f.name]

    @property
    def inputs(self):
        return [f for f in self.fields if f.kind != "submit" and f.name not in SKIPPED_FIELDS]

    @property
    def multipart(self):
        return self.enctype == "multipart/form-data" or any(f.kind == "file" for f in self.fields)

    def signature(self):
        return (self.method, urlsplit(self.target).path, tuple(sorted({f.name for f in self.fields})))

    def describe(self):
        return f"{self.method.upper()} {self.target} (form on {self.page})"


class _Parser(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms, self.by_id = [], {}
        self.current = self.select = self.textarea = self.option = None

    def _owner(self, attrs):
        if attrs.get("form"):  # a field outside its form, naming it
            return self.by_id.get(attrs["form"])
        return self.current

    def handle_starttag(self, tag, attrs):
        attrs = {k: ("" if v is None else v) for k, v in attrs}
        if tag == "form":
            self.current = Form(page=self.page, method=(attrs.get("method") or "get").lower(),
                                action=attrs.get("action", ""), enctype=attrs.get("enctype", ""),
                                form_id=attrs.get("id", ""), htmx="hx-post" in attrs)
            self.forms.append(self.current)
            if self.current.form_id:
                self.by_id[self.current.form_id] = self.current
            return
        if "disabled" in attrs:
            return
        owner = self._owner(attrs)
        if tag == "input" and owner is not None and attrs.get("name"):
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "image"):
                kind = "submit"
            elif kind in ("button", "reset"):
                return
            owner.fields.append(Field(attrs["name"], kind, attrs.get("value", "on" if kind in ("checkbox", "radio")
                                                                         else ""), checked="checked" in attrs))
        elif tag == "button" and owner is not None and attrs.get("type", "submit").lower() == "submit":
            owner.fields.append(Field(attrs.get("name", ""), "submit", attrs.get("value", "")))
        elif tag == "textarea" and owner is not None and attrs.get("name"):
            self.textarea = Field(attrs["name"], "textarea")
            owner.fields.append(self.textarea)
        elif tag == "select" and owner is not None and attrs.get("name"):
            self.select = Field(attrs["name"], "select", multiple="multiple" in attrs)
            owner.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), ""]
            self.select.options.append(self.option)
            if "selected" in attrs:
                self.select.selected.append(self.option)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data
        if self.option is not None:
            self.option[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None


def parse_forms(html, page):
    """The forms of ``html`` (the page at ``page``), with their fields as the page fills them in."""
    parser = _Parser(page)
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        for fld in form.fields:
            if fld.kind == "select":
                fld.options = [value if value is not None else text.strip() for value, text in fld.options]
                fld.selected = [value if value is not None else text.strip() for value, text in fld.selected]
    return parser.forms


def _filled(fld):
    """What a browser sends for ``fld`` as the page shows it (a list of values; empty: nothing sent)."""
    if fld.kind in ("checkbox", "radio"):
        return [fld.value] if fld.checked else []
    if fld.kind == "select":
        return fld.selected or fld.options[:1]
    if fld.kind == "file":
        return []
    return [fld.value]


def baseline(form, button=None):
    """The form's data as a browser submits it, clicked on ``button`` (a Field) if given."""
    data, radios = {}, {}
    for fld in form.fields:
        if fld.kind == "submit":
            continue
        if fld.kind == "radio":
            radios.setdefault(fld.name, fld.value)  # none checked: the first one, so the field is sent
        for value in _filled(fld):
            data.setdefault(fld.name, []).append(value)
    for name, first in radios.items():
        data.setdefault(name, [first])
    if button is not None:
        data[button.name] = [button.value]
    return data


def kind_of(fld):
    name = fld.name.lower()
    if fld.kind == "number" or any(part in name for part in ("amount", "score", "version", "used", "months",
                                                             "participants", "number", "_id", "pk")):
        return NUMBERS
    if fld.kind in ("date", "datetime-local", "month") or "date" in name or name in ("start", "end"):
        return DATES
    if fld.kind in ("select", "radio", "checkbox", "hidden", "submit"):
        return CHOICES
    return TEXTS


@dataclass
class Failure:
    role: str
    form: str
    fields: str
    value: str
    status: int
    error: str

    def __str__(self):
        return f"[{self.role}] {self.form}: {self.fields} = {self.value!r} -> {self.status}\n{self.error}"


def _exception_summary(response):
    exc_info = getattr(response, "exc_info", None)
    if not exc_info:
        return "(no exception recorded)"
    frames = [frame for frame in traceback.extract_tb(exc_info[2]) if "/src/eplus/" in frame.filename]
    where = "".join(traceback.format_list(frames[-3:]))
    return f"{where}{exc_info[0].__name__}: {str(exc_info[1])[:300]}"


def small_file():
    return SimpleUploadedFile("fuzz.txt", b"A small fuzzing file.\n", content_type="text/plain")


@dataclass
class Fuzzer:
    """Sends forms with hostile values through ``client`` (a django.test.Client with
    ``raise_request_exception=False``) and collects the server errors."""

    client: object
    role: str
    failures: list = field(default_factory=list)
    sent: int = 0
    left_out: dict = field(default_factory=dict)  # form target path -> why it is not fuzzed
    # Forms (by signature) already fuzzed field by field, by any role: the same form of another role only
    # gets the all-fields-hostile posts and its own buttons (the field-by-field posts take most of the time).
    thorough: set = field(default_factory=set)
    timing: dict = field(default_factory=dict)  # pass -> [requests, seconds], for the report

    def _send(self, form, data, headers=None):
        target = form.target
        cookies = copy.deepcopy(self.client.cookies)
        try:
            with transaction.atomic():
                if form.method == "get":
                    response = self.client.get(target, data, headers=headers)
                elif form.multipart:
                    files = {f.name: small_file() for f in form.fields if f.kind == "file"}
                    response = self.client.post(target, {**data, **files}, headers=headers)
                else:
                    response = self.client.post(target, urlencode(data, doseq=True), headers=headers,
                                                content_type="application/x-www-form-urlencoded")
                transaction.set_rollback(True)
        finally:
            self.client.cookies = cookies
        self.sent += 1
        return response

    def _check(self, form, data, fields, label, headers=None, step="every field"):
        started = time.monotonic()
        response = self._send(form, data, headers)
        spent = self.timing.setdefault(step, [0, 0.0])
        spent[0] += 1
        spent[1] += time.monotonic() - started
        if response.status_code >= 500:
            self.failures.append(Failure(self.role, form.describe(), fields, label, response.status_code,
                                         _exception_summary(response)))
        return response

    def fuzz(self, form):
        reason = self.left_out.get(urlsplit(form.target).path)
        if reason:
            return
        names = sorted({f.name for f in form.inputs} | {b.name for b in form.buttons})
        variants = form.buttons or [None]
        # 1. Every field (and every button's name) hostile at once, for every value.
        for index, (label, value) in enumerate(HOSTILE):
            data = {name: [value] for name in names}
            button = variants[index % len(variants)]
            headers = {"HX-Request": "true"} if form.htmx and index % 2 else None
            self._check(form, data, "every field" + (f" (clicked {button.name})" if button else ""), label,
                        headers)
        # 2. The form as the page filled it in, clicked on each button, then one field hostile at a time.
        for button in variants:
            self._check(form, baseline(form, button), "as filled in" + (f", {button.name}={button.value!r}"
                                                                        if button else ""), "the page's own",
                        step="as filled in")
        if form.signature() in self.thorough:
            return
        self.thorough.add(form.signature())
        turn = itertools.count()
        for fld in form.inputs:  # 1 MB in every text field alone (in all of them at once it is too big: 400)
            if fld.kind in TEXT_TYPES:
                data = baseline(form, variants[next(turn) % len(variants)])
                data[fld.name] = [MEGABYTE]
                self._check(form, data, fld.name, "1 MB string", step="1 MB per field")
        for fld in [*form.inputs, *form.buttons]:
            pool = kind_of(fld)
            for _ in range(PER_FIELD):
                label = pool[next(turn) % len(pool)]
                button = variants[next(turn) % len(variants)]
                data = baseline(form, button)
                data[fld.name] = [BY_LABEL[label]]
                self._check(form, data, fld.name, label, step="field by field")

    def forms_of(self, url):
        """The page at ``url`` (redirects followed) and its forms: (status, forms)."""
        response = self.client.get(url, follow=True)
        page = response.request["PATH_INFO"]
        query = response.request.get("QUERY_STRING")
        if query:
            page += "?" + query
        if response.status_code >= 500:
            self.failures.append(Failure(self.role, f"GET {url}", "-", "-", response.status_code,
                                         _exception_summary(response)))
            return response.status_code, []
        if "text/html" not in response.get("Content-Type", ""):
            return response.status_code, []
        forms = parse_forms(response.content.decode(), page)
        return response.status_code, [f for f in forms if not urlsplit(f.target).netloc
                                       or urlsplit(f.target).netloc == "testserver"]
