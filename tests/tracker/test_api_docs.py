"""The API reference at /api/docs/: a page of the site drawn from the OpenAPI schema.

The oracle is the schema itself, from drf-spectacular's generator (what /api/schema/
serves): the page is a rendering of it, so every operation, parameter, choice and body
field the schema names must be found on the page, where a reader looks for it.
"""

from unittest import mock

import lxml.html
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from tracker.api import docs

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def fresh_reference():
    """The reference as a new process would have it: not built yet."""
    docs.reference.clear()
    yield docs.reference
    docs.reference.clear()


@pytest.fixture
def schema(seeded):
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def page(seeded, client, fresh_reference):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method in METHODS:
            if method in methods:
                yield method, path, methods[method]


def section(page, operation) -> lxml.html.HtmlElement:
    """The operation's <article>, found by its heading's id."""
    heading = page.get_element_by_id(f"op-{operation['operationId']}")
    assert heading.tag == "h3"
    return heading.getparent()


def table_rows(element, caption_starts: str) -> dict[str, lxml.html.HtmlElement]:
    """The rows of the table whose caption starts so, by the name in their header cell."""
    rows = {}
    for table in element.iter("table"):
        if table.find("caption").text_content().startswith(caption_starts):
            for row in table.iter("tr"):
                header = row.find("th[@scope='row']/code")
                if header is not None:
                    rows[header.text_content()] = row
    return rows


def cell(row, label: str) -> str:
    return row.find(f"td[@data-label='{label}']").text_content()


def enum_values(parameter_schema: dict, schema: dict) -> list:
    """The choices a parameter offers, from the schema; none for the keys of records."""
    target = parameter_schema.get("items", parameter_schema)
    if "$ref" in target:
        name = target["$ref"].rsplit("/", 1)[-1]
        if name in ("ParticipantKey", "TreatyKey"):
            return []
        target = schema["components"]["schemas"][name]
    return target.get("enum", [])


def test_every_operation_of_the_schema_is_on_the_page_under_its_method_and_path(page, schema):
    found = list(operations(schema))
    assert len(found) > 30
    for method, path, operation in found:
        heading = section(page, operation).find("h3").text_content()
        assert heading.split() == [method.upper(), path], heading
    contents = {link.get("href") for link in page.get_element_by_id("contents").getparent().iter("a")}
    assert {f"#op-{operation['operationId']}" for _, _, operation in found} <= contents


def common_line(article, starts: str) -> list[str]:
    """The names or codes an operation lists in one line rather than its tables."""
    for paragraph in article.find_class("api-common"):
        if paragraph.text_content().startswith(starts):
            return [element.text_content() for element in paragraph.iter("code", "a")]
    return []


def test_every_parameter_is_listed_with_its_choices_and_whether_it_is_required(page, schema):
    common = table_rows(page, "The common parameters")
    assert {"format", "page", "page_size"} <= set(common)
    for method, path, operation in operations(schema):
        article = section(page, operation)
        rows = table_rows(article, "Parameters of")
        named = common_line(article, "And") + common_line(article, "Parameters:")
        for parameter in operation.get("parameters", []):
            if parameter["name"] in rows:
                row = rows[parameter["name"]]
                expected = "yes" if parameter.get("required") else "no"
                assert cell(row, "Required") == expected, (path, parameter)
            else:  # described once, among the common parameters, and named here
                assert parameter["name"] in named and not parameter.get("required"), (method, path, parameter)
                row = common[parameter["name"]]
            values = cell(row, "Values")
            for value in enum_values(parameter["schema"], schema):
                assert value in values, (method, path, parameter["name"], value)


def test_the_choices_of_a_filter_carry_their_labels_and_the_ordering_its_sort_keys(page, schema):
    actions = section(page, schema["paths"]["/api/v1/actions/"]["get"])
    rows = table_rows(actions, "Parameters of")
    assert "depositary Depositary record" in cell(rows["confidence"], "Values")
    assert "repeatable" in cell(rows["group"], "Type")
    assert "comma-separated" in cell(rows["ordering"], "Type")
    assert "-date" in cell(rows["ordering"], "Values")
    # The keys of records are described, not listed (their list grows with the data).
    assert "VNM" not in cell(rows["participant"], "Values")


def body_rows(page, article) -> tuple[dict, bool]:
    """The fields of an operation's body: its own table, or the one it links to (and
    whether it says they are each optional there)."""
    rows = table_rows(article, "Request body of")
    if rows:
        return rows, False
    [paragraph] = [p for p in article.iter("p") if p.text_content().startswith("Request body (")]
    shown = page.get_element_by_id(paragraph.find("a").get("href")[1:]).getparent()
    return table_rows(shown, "Request body of"), "each optional" in paragraph.text_content()


def test_every_write_lists_the_fields_of_its_body_and_which_are_required(page, schema):
    components = schema["components"]["schemas"]
    writes = [(path, op) for method, path, op in operations(schema) if "requestBody" in op]
    assert len(writes) > 10
    for path, operation in writes:
        content = operation["requestBody"]["content"]
        body = content.get("application/json") or content.get("multipart/form-data")
        target = body["schema"]
        component = components[target["$ref"].rsplit("/", 1)[-1]] if "$ref" in target else target
        article = section(page, operation)
        rows, optional = body_rows(page, article)
        assert set(rows) == set(component["properties"]), path
        for name in component["properties"]:
            expected = "yes" if name in component.get("required", []) else "no"
            assert ("no" if optional else cell(rows[name], "Required")) == expected, (path, name)
        assert "Token $TOKEN" in article.find(".//pre").text_content()


def test_every_response_code_is_listed_with_its_meaning(page, schema):
    errors = {row.find("th").text_content(): row for row in table_rows_by_status(page, "The errors of")}
    assert {"400", "404", "429"} <= set(errors)
    for method, path, operation in operations(schema):
        article = section(page, operation)
        listed = {row.find("th").text_content(): row for row in table_rows_by_status(article, "Responses of")}
        linked = [a.text_content() for a in article.iter("a") if a.get("href", "").startswith("#error-")]
        assert set(listed) | set(linked) == set(operation["responses"]), (method, path)
        for code, response in operation["responses"].items():
            row = listed[code] if code in listed else errors[code]
            if response.get("description"):
                # The schema's Markdown `code` becomes <code>: compare the words.
                assert response["description"].replace("`", "") in cell(row, "Meaning"), (method, path, code)


def table_rows_by_status(element, caption_starts: str) -> list:
    """The body rows of the table whose caption starts so, headed by a status code."""
    tables = [t for t in element.iter("table") if t.find("caption").text_content().startswith(caption_starts)]
    return [row for table in tables for row in table.iter("tr") if row.find("th[@scope='row']") is not None]


def test_the_example_of_each_read_is_a_request_the_api_answers(page, schema, client, settings):
    site = settings.SITE_URL.rstrip("/")
    tried = 0
    for method, path, operation in operations(schema):
        if method != "get" or "{id}" in path:  # an id in an example need not exist
            continue
        line = section(page, operation).find(".//pre").text_content()
        address = line.split("'")[1]
        assert address.startswith(site), line
        response = client.get(address.removeprefix(site))
        assert response.status_code == 200, (line, response.content[:300])
        tried += 1
    assert tried >= 8


def test_every_link_inside_the_page_leads_to_a_place_on_it(page):
    ids = {element.get("id") for element in page.iter() if element.get("id")}
    anchors = {link.get("href")[1:] for link in page.iter("a") if (link.get("href") or "").startswith("#")}
    assert anchors and anchors <= ids, anchors - ids


def test_the_page_has_the_site_s_header_and_footer_and_links_to_the_schema(seeded, client, fresh_reference):
    html = client.get(reverse("api-docs")).content.decode()
    page = lxml.html.fromstring(html)
    assert page.find(".//header[@class='site-header']") is not None
    assert page.find(".//footer[@class='site-footer']") is not None
    links = {link.get("href") for link in page.iter("a")}
    assert {reverse("schema"), reverse("schema") + "?format=yaml"} <= links
    assert "<script" not in html and " style=" not in html
    headings = [int(element.tag[1]) for element in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert headings[0] == 1 and all(later - earlier <= 1 for earlier, later in zip(headings, headings[1:]))


def test_the_reference_is_built_once_and_then_served_without_a_database_query(
    seeded, client, fresh_reference, django_assert_max_num_queries
):
    generate = SchemaGenerator.get_schema
    with mock.patch.object(SchemaGenerator, "get_schema", autospec=True, side_effect=generate) as made:
        first = client.get(reverse("api-docs"))
        with django_assert_max_num_queries(0):
            second = client.get(reverse("api-docs"))
    assert made.call_count == 1
    assert first.status_code == second.status_code == 200
    assert first.content == second.content


def test_a_schema_that_fails_is_a_503_that_says_so_and_is_tried_again(seeded, client, fresh_reference):
    with mock.patch.object(SchemaGenerator, "get_schema", side_effect=RuntimeError("broken")):
        failed = client.get(reverse("api-docs"))
    assert failed.status_code == 503
    assert "cannot be drawn just now" in failed.content.decode()
    assert client.get(reverse("api-docs")).status_code == 200


def test_descriptions_are_escaped_and_only_their_code_becomes_markup():
    hostile = '<script>alert("x")</script> and `<b>code</b>`'
    schema = {
        "info": {"title": "T", "version": "1", "description": hostile},
        "paths": {
            "/api/v1/things/": {
                "get": {
                    "operationId": "things_list",
                    "description": hostile,
                    "tags": ["things"],
                    "parameters": [{
                        "in": "query", "name": "kind", "description": f"{hostile}\n\n* `a<i>` - <img src=x>",
                        "schema": {"type": "string", "enum": ["a<i>"]},
                    }],  # fmt: skip
                    "responses": {"400": {"description": hostile}},
                }
            }
        },
        "components": {"schemas": {}},
    }
    built = docs.build(schema, "https://tracker.example")
    html = str(built["html"])
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in html
    assert "<code>a&lt;i&gt;</code> &lt;img src=x&gt;" in html
