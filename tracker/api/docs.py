"""The API reference at /api/docs/: the OpenAPI schema that /api/schema/ serves (drf-
spectacular's generator), rendered on the server as a page of the site, with its header
and footer, no script and no style of its own but a static stylesheet.

The reference (every operation and every record's fields, their tables folded under a
<details> line each) is rendered once per process and kept, with what the page's
introduction and contents list: the schema is made from the code, which does not change while the
process runs. The only parts of it read from the database, the lists of existing
participant and treaty keys (``ParticipantKey``, ``TreatyKey``), are described in words
rather than listed, so the kept page never goes out of date. A schema that fails is not
kept: the page says so (503) and the next request tries again.

The descriptions in the schema are plain text with a little Markdown (``code``,
paragraphs, ``* `value` - Label`` lists of choices); every one is escaped before the
few tags it needs are added.
"""

import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from tracker.api.schema import KEY_PARAMETERS
from tracker.api.throttling import Rate

logger = logging.getLogger(__name__)

METHODS = ("get", "post", "put", "patch", "delete")
# Components whose values are the records that exist: named in words, never listed.
DATABASE_KEYS = set(KEY_PARAMETERS.values())
# The resources in the order a reader meets them; a tag not named here comes after them.
TAG_ORDER = ("treaties", "participants", "actions", "domestic-steps", "sources", "reported-figures")
TAG_TITLES = {"actions": "Actions: signatures and instruments", "domestic-steps": "Domestic steps",
              "reported-figures": "Reported figures"}  # fmt: skip
# What an operation does, by the end of its operationId (drf-spectacular's action names).
ACTIONS = {
    "list": "List the records, a page at a time.",
    "retrieve": "Read one.",
    "create": "Create one.",
    "update": "Replace one: send every required field.",
    "partial_update": "Change the fields sent, and only those.",
    "destroy": "Delete one.",
}
SUCCESS = {"200": "Success", "201": "Created", "204": "Done: no body"}
# Values of a curl example, by the component or format of a field or path parameter.
EXAMPLES = {"TreatyKey": "hanoi-convention", "ParticipantKey": "VNM", "slug": "hanoi-convention",
            "key": "VNM", "date": "2025-10-25", "uri": "https://example.org/"}  # fmt: skip
# A parameter that this many operations take alike is described once (format, page…).
COMMON_AT_LEAST = 5
# The field a PATCH example changes: a note or a title, not a key that a record is known by.
PATCH_FIELDS = ("note", "title")
CHOICE_LINE = re.compile(r"^\* `([^`]*)` - (.*)$")


def text_html(text: str | None) -> SafeString:
    """A schema description as HTML: paragraphs, lists and ``code``, everything else escaped."""
    blocks = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("* ") for line in lines):
            items = format_html_join("", "<li>{}</li>", ((inline_html(line[2:]),) for line in lines))
            blocks.append(format_html("<ul>{}</ul>", items))
        else:
            blocks.append(format_html("<p>{}</p>", inline_html(" ".join(lines))))
    return mark_safe("".join(blocks))


def inline_html(text: str) -> SafeString:
    """One line: escaped, with `code` and ``code`` (docstrings' style) as <code>."""
    parts = re.split(r"``(.+?)``|`(.+?)`", text)
    out = []
    for index, part in enumerate(parts):
        if index % 3 == 0:
            out.append(escape(part))
        elif part is not None:
            out.append(format_html("<code>{}</code>", part))
    return mark_safe("".join(out))


def split_choices(text: str | None) -> tuple[str, dict[str, str]]:
    """A description without drf-spectacular's list of choices, and the choices' labels."""
    labels, kept = {}, []
    for line in (text or "").splitlines():
        match = CHOICE_LINE.match(line.strip())
        if match:
            labels[match[1]] = match[2]
        else:
            kept.append(line)
    return "\n".join(kept).strip(), labels


@dataclass
class Kind:
    """What a value is: a type in words, a record it links to, its choices, a note."""

    text: str
    record: str | None = None
    values: list = field(default_factory=list)
    note: str = ""


class Schema:
    """The schema's components, and what a (sub)schema says a value is."""

    def __init__(self, schema: dict):
        self.schema = schema
        self.components = schema.get("components", {}).get("schemas", {})

    def target(self, ref: str) -> tuple[str, dict]:
        name = ref.rsplit("/", 1)[-1]
        return name, self.components.get(name, {})

    def kind(self, schema: dict) -> Kind:
        if "$ref" in schema:
            return self.referenced(*self.target(schema["$ref"]))
        parts = schema.get("oneOf") or schema.get("allOf") or []
        if parts:
            kinds = [self.kind(part) for part in parts]
            main = next((kind for kind in kinds if kind.text not in ("empty", "null")), kinds[0])
            extra = [kind.text for kind in kinds if kind is not main and kind.text in ("empty", "null")]
            if schema.get("nullable") and "null" not in extra:
                extra.append("null")
            return Kind(" or ".join([main.text, *extra]), main.record, main.values, main.note)
        if schema.get("type") == "array":
            items = self.kind(schema.get("items", {}))
            return Kind(f"array of {items.text}", items.record, items.values, items.note)
        return Kind(self.plain_type(schema), values=list(schema.get("enum", [])))

    def referenced(self, name: str, component: dict) -> Kind:
        if name in DATABASE_KEYS:
            return Kind("string", note=component.get("description", ""))
        enum = component.get("enum")
        if enum == [""]:
            return Kind("empty")
        if enum == [None]:
            return Kind("null")
        if enum:
            return Kind(component.get("type", "string"), values=list(enum))
        if component.get("type") == "object":
            return Kind("object", record=name)
        return self.kind(component)

    @staticmethod
    def plain_type(schema: dict) -> str:
        kind, form = schema.get("type", "any"), schema.get("format")
        if form == "binary":
            text = "file"
        else:
            text = f"{kind} ({form})" if form else kind
        if "maxLength" in schema:
            text += f", at most {schema['maxLength']} characters"
        if "minimum" in schema and "maximum" in schema:
            text += f", from {schema['minimum']} to {schema['maximum']}"
        elif "minimum" in schema:
            text += f", from {schema['minimum']}"
        return f"{text} or null" if schema.get("nullable") else text


def kind_html(kind: Kind) -> SafeString:
    """A type for a table cell; an object links to its record's fields."""
    if kind.record:
        before, _, after = kind.text.partition("object")
        link = format_html('<a href="#record-{}"><code>{}</code></a>', kind.record, kind.record)
        return format_html("{}{}{}", before, link, after)
    return format_html("{}", kind.text)


def values_html(values: list, labels: dict[str, str]) -> SafeString:
    """The choices of a value: each in <code>, with its label where it says more."""
    items = []
    for value in values:
        label = labels.get(str(value), "")
        same = label.lower().replace(" ", "_") == str(value).lower()
        items.append(format_html("<code>{}</code>", value) if same or not label
                     else format_html("<code>{}</code> {}", value, label))  # fmt: skip
    return mark_safe(", ".join(items))


def row(name: str, kind: Kind, description: str | None, required: bool, *, location: str = "") -> dict:
    """A parameter or a field as a table row: name, type, choices, description, required."""
    text, labels = split_choices(description)
    return {
        "name": name,
        "location": location,
        "type": kind_html(kind),
        "values": values_html(kind.values, labels),
        "description": text_html(text or kind.note),  # a key's own words if none
        "required": required,
    }


# --- operations ----------------------------------------------------------------------


@dataclass
class Commons:
    """What many operations share, shown once rather than in each: the parameters that
    COMMON_AT_LEAST of them or more take alike, the meaning most give each error status, and the
    request bodies already shown (by their fields)."""

    parameters: dict[str, dict]
    errors: dict[str, str]
    bodies: dict[frozenset, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, schema: dict) -> "Commons":
        found = [operation for _, _, operation in operations_of(schema)]
        taken = [parameter for operation in found for parameter in operation.get("parameters", [])]
        alike = Counter(json.dumps(parameter, sort_keys=True) for parameter in taken)
        parameters = {}
        for text, count in alike.items():
            parameter = json.loads(text)
            if count >= COMMON_AT_LEAST and parameter.get("in") == "query":  # a path's own stay with it
                parameters.setdefault(parameter["name"], parameter)
        meanings: dict[str, Counter] = {}
        for operation in found:
            for code, response in operation.get("responses", {}).items():
                if code[0] in "45":
                    meanings.setdefault(code, Counter())[response.get("description", "")] += 1
        errors = {code: counted.most_common(1)[0][0] for code, counted in sorted(meanings.items())}
        return cls(parameters, errors)

    def is_common(self, parameter: dict) -> bool:
        return self.parameters.get(parameter.get("name")) == parameter


def operations_of(schema: dict):
    """(method, path, operation) for every operation of the schema, in its order."""
    for path, operations in schema.get("paths", {}).items():
        for method in METHODS:
            if isinstance(operations.get(method), dict):
                yield method, path, operations[method]


def parameter_rows(parameters: list[dict], schema: Schema) -> list[dict]:
    """The path parameters, then the query parameters, in the schema's order."""
    rows = []
    for parameter in sorted(parameters, key=lambda p: p.get("in") != "path"):
        kind = schema.kind(parameter.get("schema", {}))
        if parameter.get("schema", {}).get("type") == "array":
            # A filter takes several values by repeating itself; an ordering, comma-separated.
            several = "comma-separated list" if parameter.get("explode") is False else "repeatable"
            kind.text = f"{kind.text.removeprefix('array of ')}, {several}"
        rows.append(row(parameter["name"], kind, parameter.get("description"),
                        parameter.get("required", False), location=parameter.get("in", "")))  # fmt: skip
    return rows


def body_forms(operation: dict, entry: dict, schema: Schema, commons: Commons) -> list[dict]:
    """Each form a request body may take (JSON, a CSV, a form with a file) and its fields.
    Fields already listed for another operation (a PUT's are its POST's, a PATCH's the same
    with none required) are named by a link to that list."""
    forms = []
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        target = content.get("schema", {})
        component = schema.target(target["$ref"])[1] if "$ref" in target else target
        required = set(component.get("required", []))
        properties = {name: value for name, value in component.get("properties", {}).items()
                      if not value.get("readOnly")}  # fmt: skip
        form = {"media": media, "fields": [], "same_as": None, "none_required": not required,
                "text": "" if properties else schema.kind(target).text}  # fmt: skip
        shown = commons.bodies.get(frozenset(properties))
        if shown and (shown["required"] == required or not required):
            form["same_as"] = shown["entry"]
        elif properties:
            form["fields"] = [row(name, schema.kind(value), value.get("description"), name in required)
                              for name, value in properties.items()]  # fmt: skip
            commons.bodies[frozenset(properties)] = {"entry": entry, "required": required}
        forms.append(form)
    return forms


def answer_html(body: dict | None, schema: Schema) -> SafeString:
    """What a successful response holds: a page of records, one record, or a value."""
    if not body:
        return mark_safe("")
    if "$ref" in body:
        name, component = schema.target(body["$ref"])
        results = component.get("properties", {}).get("results", {})
        if name.startswith("Paginated") and results.get("type") == "array":
            inner = kind_html(schema.kind(results.get("items", {})))
            return format_html("A page of {} records: <code>count</code>, <code>next</code>, "
                               "<code>previous</code>, <code>results</code>", inner)  # fmt: skip
    return kind_html(schema.kind(body))


def response_rows(operation: dict, schema: Schema, commons: Commons) -> list[dict]:
    """The successes, and the errors whose meaning here is not the one they have elsewhere
    (those are listed once, in the introduction)."""
    rows = []
    for code, response in operation.get("responses", {}).items():
        if commons.errors.get(code) == response.get("description", ""):
            continue
        content = response.get("content", {})
        body = next(iter(content.values()), {}).get("schema") if content else None
        rows.append({
            "code": code,
            "meaning": inline_html(response.get("description") or SUCCESS.get(code, "")),
            "returns": answer_html(body, schema) if code.startswith("2") else "",
        })  # fmt: skip
    return rows


def example_value(value: dict, schema: Schema):
    """A value a curl example sends for a field: a real key, or a plain one of its type."""
    if "$ref" in value:
        name, component = schema.target(value["$ref"])
        return EXAMPLES.get(name) or example_value(component, schema)
    for part in value.get("oneOf", []) + value.get("allOf", []):
        return example_value(part, schema)
    if value.get("enum"):
        return value["enum"][0]
    if value.get("type") == "array":
        return [example_value(value.get("items", {}), schema)]
    if value.get("format") in EXAMPLES:
        return EXAMPLES[value["format"]]
    return {"integer": 1, "number": 1, "boolean": True}.get(value.get("type"), "text")


def example_body(operation: dict, schema: Schema) -> list[str]:
    """curl's options for the request body: a form with a file, else JSON, else a CSV."""
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        properties = content["multipart/form-data"].get("schema", {}).get("properties", {})
        # The file, and the switches (a dry run): what a first try of an upload sends.
        return [f"-F {name}=@table.csv" if value.get("format") == "binary" else f"-F {name}=true"
                for name, value in properties.items()
                if value.get("format") == "binary" or value.get("type") == "boolean"]  # fmt: skip
    if "application/json" in content:
        target = content["application/json"].get("schema", {})
        component = schema.target(target["$ref"])[1] if "$ref" in target else target
        properties = component.get("properties", {})
        names = sorted(component.get("required", [])) or [
            next((name for name in PATCH_FIELDS if name in properties), next(iter(properties), ""))
        ]
        sent = {name: example_value(properties[name], schema) for name in names if name in properties}
        return ["-H 'Content-Type: application/json'", f"-d '{json.dumps(sent)}'"]
    if content:
        media = next(iter(content))
        return [f"-H 'Content-Type: {media}'", "--data-binary @table.csv"]
    return []


def example_curl(method: str, path: str, operation: dict, schema: Schema, site: str) -> str:
    """A curl line that makes the request: real keys in the path, a token for a write."""
    address = re.sub(r"\{(\w+)\}", lambda match: str(EXAMPLES.get(match[1], 1)), path)
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    query = [f"{name}={value}" for name, value in (("treaty", "hanoi-convention"), ("as_of", "2026-02-01"))
             if name in names]  # fmt: skip
    words = ["curl"]
    if method != "get":
        words.append(f"-X {method.upper()}")
    if operation.get("security"):
        words.append('-H "Authorization: Token $TOKEN"')
    words += example_body(operation, schema)
    words.append(f"'{site}{address}{'?' + '&'.join(query) if query else ''}'")
    return " ".join(words)


def operation_entry(method: str, path: str, operation: dict, context: "Context", shared: str) -> dict:
    """One operation as the template shows it."""
    schema, commons = context.schema, context.commons
    own = operation.get("description", "")
    action = next((name for name in sorted(ACTIONS, key=len, reverse=True)
                   if operation.get("operationId", "").endswith(f"_{name}")), "")  # fmt: skip
    description = ACTIONS.get(action, "") if own == shared and action else own
    parameters = operation.get("parameters", [])
    entry = {
        "id": f"op-{operation.get('operationId') or slugify_path(method, path)}",
        "method": method.upper(),
        "path": path,
        "description": text_html(description),
        "token": bool(operation.get("security")),
        "deprecated": bool(operation.get("deprecated")),
        "parameters": parameter_rows([p for p in parameters if not commons.is_common(p)], schema),
        "common_parameters": [p["name"] for p in parameters if commons.is_common(p)],
        "responses": response_rows(operation, schema, commons),
        "errors": [code for code in operation.get("responses", {}) if commons.errors.get(code) ==
                   operation["responses"][code].get("description", "")],  # fmt: skip
        "curl": example_curl(method, path, operation, schema, context.site),
    }
    entry["body"] = body_forms(operation, entry, schema, commons)
    return entry


@dataclass
class Context:
    """What rendering every operation needs: the schema, what they share, the site's address."""

    schema: Schema
    commons: Commons
    site: str


def slugify_path(method: str, path: str) -> str:
    return method + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


# --- the reference -------------------------------------------------------------------


def resources(context: Context) -> list[dict]:
    """The operations by tag (one tag per resource), in TAG_ORDER, each in the schema's
    order of paths, each tag with the description most of its operations share."""
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for method, path, operation in operations_of(context.schema.schema):
        tag = (operation.get("tags") or ["other"])[0]
        by_tag.setdefault(tag, []).append((method, path, operation))
    listed = []
    order = {tag: index for index, tag in enumerate(TAG_ORDER)}
    for tag, found in sorted(by_tag.items(), key=lambda item: order.get(item[0], len(order))):
        counts = Counter(operation.get("description", "") for _, _, operation in found)
        shared = counts.most_common(1)[0][0] if counts else ""
        listed.append({
            "id": f"resource-{tag}",
            "title": TAG_TITLES.get(tag, tag.replace("-", " ").capitalize()),
            "description": text_html(shared),
            "operations": [operation_entry(method, path, op, context, shared) for method, path, op in found],
        })  # fmt: skip
    return listed


def records(schema: Schema) -> list[dict]:
    """The objects the successful responses hold, and the objects inside them, with their
    fields. A description that several components share is the docstring of a common base
    class, about the code rather than the record: it is left out."""
    shared = Counter(component.get("description") for component in schema.components.values())
    names: list[str] = []
    queue = [
        response["content"][media]["schema"]
        for operations in schema.schema.get("paths", {}).values()
        for operation in operations.values() if isinstance(operation, dict)
        for code, response in operation.get("responses", {}).items() if code.startswith("2")
        for media in list(response.get("content", {}))[:1]
    ]  # fmt: skip
    while queue:
        for ref in references(queue.pop(0)):
            name, component = schema.target(ref)
            if name in names or component.get("type") != "object" or name in DATABASE_KEYS:
                continue
            if name.startswith("Paginated"):
                queue.append(component.get("properties", {}).get("results", {}))
                continue
            names.append(name)
            queue.extend(component.get("properties", {}).values())
    listed = []
    for name in names:
        component = schema.components[name]
        required = set(component.get("required", []))
        description = component.get("description", "")
        listed.append({
            "name": name,
            "description": text_html(description if shared[description] == 1 else ""),
            "fields": [row(key, schema.kind(value), value.get("description"), key in required)
                       for key, value in component.get("properties", {}).items()],
        })  # fmt: skip
    return listed


def references(value) -> list[str]:
    """Every $ref in a (sub)schema."""
    if isinstance(value, dict):
        found = [value["$ref"]] if "$ref" in value else []
        return found + [ref for inner in value.values() for ref in references(inner)]
    if isinstance(value, list):
        return [ref for inner in value for ref in references(inner)]
    return []


def as_of_operations(listed: list[dict]) -> list[dict]:
    """The operations that take ``as_of``: the introduction names them."""
    return [operation for resource in listed for operation in resource["operations"]
            if any(parameter["name"] == "as_of" for parameter in operation["parameters"])]  # fmt: skip


def build(schema: dict, site: str) -> dict:
    """The reference of ``schema`` as HTML, and what the page's introduction lists."""
    wrapped = Schema(schema)
    context = Context(wrapped, Commons.of(schema), site)
    listed = resources(context)
    rendered = {"resources": listed, "records": records(wrapped)}
    common = context.commons
    return {
        "html": mark_safe(render_to_string("tracker/_api_reference.html", rendered)),
        "errors": [{"code": code, "meaning": inline_html(text)} for code, text in common.errors.items()],
        "common_parameters": parameter_rows(list(common.parameters.values()), wrapped),
        "version": schema.get("info", {}).get("version", ""),
        "resources": listed,  # the contents
        "as_of": as_of_operations(listed),
    }


class Kept:
    """The reference, built once per process (and per site address, which its examples
    name); a schema that fails is not kept, so that the next request tries again."""

    def __init__(self):
        self._built: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self) -> dict | None:
        site = settings.SITE_URL.rstrip("/")
        if site not in self._built:
            with self._lock:
                if site not in self._built:
                    built = self.make(site)
                    if built is None:
                        return None
                    self._built[site] = built
        return self._built[site]

    @staticmethod
    def make(site: str) -> dict | None:
        from drf_spectacular.generators import SchemaGenerator

        try:
            schema = SchemaGenerator().get_schema(request=None, public=True)
            return build(schema, site)
        except Exception:
            logger.exception("the API schema failed; the API reference is not shown")
            return None

    def clear(self) -> None:
        self._built.clear()


reference = Kept()


PERIOD_WORDS = {1: "a second", 60: "a minute", 3600: "an hour", 86400: "a day"}


def rate_words(text: str) -> str:
    """A throttle rate in words: "120/minute" is "120 requests a minute"."""
    rate = Rate.parse(text)
    return f"{rate.count} requests {PERIOD_WORDS.get(rate.seconds, f'every {rate.seconds} seconds')}"


@require_safe
def api_docs(request):
    """The API reference: how to use the API, then every operation and record."""
    built = reference.get()
    context = {
        "reference": built,
        "site": settings.SITE_URL.rstrip("/"),
        "anonymous_rate": rate_words(settings.API_ANON_RATE),
        "user_rate": rate_words(settings.API_USER_RATE),
    }
    return render(request, "tracker/api_docs.html", context, status=200 if built else 503)
