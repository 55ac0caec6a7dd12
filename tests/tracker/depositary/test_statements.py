"""Declarations, reservations, objections, declarations under an article, notifications
and territorial applications."""

from datetime import date

from . import parsed


def statements(page, section):
    return [s for s in page.statements if s.section == section]


def one(page, section, participant):
    (statement,) = [s for s in statements(page, section) if s.participant == participant]
    return statement


def test_a_declaration_does_not_repeat_the_participants_name_in_front():
    poland = one(parsed("ottawa.html"), "Declarations", "Poland")
    assert poland.text.startswith('Declaration: "It is the understanding of the Government of the Republic of Poland')
    assert poland.footnotes == ()


def test_the_ottawa_article_18_declarations_list_their_participants_under_the_articles_title():
    section = "Declarations made under article 18 (1) (Declaration of provisional application)"
    assert [s.participant for s in statements(parsed("ottawa.html"), section)] == [
        "Austria",
        "Mauritius",
        "South Africa",
        "Sweden",
        "Switzerland",
    ]
    assert all(s.text == "" for s in statements(parsed("ottawa.html"), section))


def test_a_footnote_after_the_participants_heading_is_kept_apart_from_the_name():
    germany = one(parsed("iccpr_op1.html"), "Declarations and Reservations", "Germany")
    assert germany.footnotes == ("11",)
    assert germany.text.startswith("Reservation: The Federal Republic of Germany formulates a reservation")
    serbia = one(parsed("ottawa.html"), "Declarations", "Serbia")
    assert serbia.footnotes == ("9",)
    assert serbia.text.startswith("Confirmed upon succession: Declaration:")


def test_an_objection_gives_its_date():
    denmark = one(parsed("iccpr_op1.html"), "Objections", "Denmark")
    assert denmark.dates[0] == date(1999, 8, 6)
    assert "With regard to the reservation made by Trinidad and Tobago upon accession" in denmark.text


def test_a_misspelt_month_is_still_read():
    spain = one(parsed("iccpr_op1.html"), "Objections", "Spain")  # "1 Decmeber 1999"
    assert spain.dates[0] == date(1999, 12, 1)


def test_a_territorial_application_gives_the_territory_and_the_date_of_receipt():
    netherlands = one(parsed("iccpr_op1.html"), "Territorial Application", "Netherlands (Kingdom of the)")
    assert (netherlands.text, netherlands.dates, netherlands.footnotes) == (
        "Netherlands Antilles",
        (date(1978, 12, 11),),
        ("9",),
    )


def test_notifications_under_an_article_are_a_section_of_their_own():
    page = parsed("cat_op.html")
    notified = statements(page, "Notifications made under article 17")
    assert [s.participant for s in notified] == ["Azerbaijan", "North Macedonia"]
    assert notified[0].text.startswith("“The Ministry of Foreign Affairs of the Republic of Azerbaijan")
    assert one(page, "Territorial Application", "United Kingdom of Great Britain and Northern Ireland").text == "Isle of Man"


def test_a_statement_made_upon_signature_gives_the_signatures_date():
    belgium = one(parsed("att.html"), "Declarations and Reservations", "Belgium")
    assert belgium.dates[0] == date(2013, 6, 7)
