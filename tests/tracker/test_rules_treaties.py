"""The rule engine on real UN treaties, and on the features their clauses need (month delays,
a date before which nothing enters into force, protocols subject to their convention,
participants whose consent is required, no rule at all). No database: tracker.rules is pure.

The deposits of the real treaties below are copied from the depositary's status pages saved
in /work/shared/untc/ (UN Treaty Collection, status as at 3 February 2026; see its README):
each block is the participants table's instrument column, sorted by date, up to the day the
threshold was reached, named as in the table, with the instrument's suffix in brackets
("a" accession, "P" consent to be bound, "c" formal confirmation; none: ratification). The
stated dates of entry into force are the pages' headers. Cases marked HYPOTHETICAL use
made-up participants and dates to exercise a rule, and say nothing about any real treaty.
"""

import random
import re
from dataclasses import replace
from datetime import date

import pytest

from tracker.rules import ActionKind, ActionRecord, Delay, TreatyRule, status_as_of, timeline

D = date.fromisoformat
KINDS = {
    "": ActionKind.RATIFICATION,
    "a": ActionKind.ACCESSION,
    "A": ActionKind.ACCEPTANCE,
    "AA": ActionKind.APPROVAL,
    "d": ActionKind.SUCCESSION,
    "s": ActionKind.DEFINITIVE_SIGNATURE,
    "c": ActionKind.FORMAL_CONFIRMATION,
    "P": ActionKind.CONSENT_TO_BE_BOUND,
}


def instruments(block: str) -> list[ActionRecord]:
    """Records from lines "YYYY-MM-DD Name (suffix); Other name", as in the blocks below."""
    records = []
    for line in block.strip().splitlines():
        day, names = line.split(" ", 1)
        for name in names.split("; "):
            found = re.fullmatch(r"(.*?)(?: \((a|A|AA|d|s|c|P)\))?", name)
            records.append(ActionRecord(found.group(1), KINDS[found.group(2) or ""], D(day)))
    return records


def deposit(who: str, on: str, kind=ActionKind.RATIFICATION, reio=False, withdrawn=None, on_or_before=False):
    return ActionRecord(
        who, kind, D(on), is_reio=reio, withdrawn_on=D(withdrawn) if withdrawn else None, on_or_before=on_or_before
    )


def about(who: str, on: str, **details) -> ActionRecord:
    """A deposit known only as "on or before" its date."""
    return deposit(who, on, on_or_before=True, **details)


# ottawa.html, the 40 instruments deposited up to 16 Sep 1998 (the 39th and 40th that day).
OTTAWA_40 = instruments("""
1997-12-03 Canada; Ireland; Mauritius
1998-01-19 Turkmenistan
1998-02-17 Holy See
1998-03-18 San Marino
1998-03-24 Switzerland
1998-04-06 Hungary
1998-04-15 Niue
1998-04-23 Belize
1998-04-27 Trinidad and Tobago
1998-05-18 Djibouti
1998-05-20 Croatia
1998-06-02 Mali
1998-06-08 Denmark
1998-06-09 Bolivia (Plurinational State of); Mexico
1998-06-10 Fiji
1998-06-17 Peru
1998-06-18 Zimbabwe
1998-06-26 South Africa
1998-06-29 Andorra; Austria
1998-07-09 Norway
1998-07-17 Jamaica
1998-07-23 France; Germany; Samoa
1998-07-31 Bahamas (The); United Kingdom of Great Britain and Northern Ireland
1998-08-13 Malawi
1998-08-19 Grenada
1998-08-25 Mozambique
1998-09-01 Yemen
1998-09-04 Belgium; Bulgaria
1998-09-08 Bosnia and Herzegovina
1998-09-09 North Macedonia (a)
1998-09-16 Burkina Faso; Equatorial Guinea (a)
""")
OTTAWA_LATER = instruments("""
1998-09-21 Namibia
2002-09-11 Afghanistan (a)
""")

# cmw.html, up to 14 Mar 2003 (the 20th and 21st that day).
CMW_20 = instruments("""
1993-02-19 Egypt (a)
1993-06-21 Morocco
1994-12-15 Seychelles (a)
1995-05-24 Colombia (a)
1995-07-05 Philippines
1995-11-14 Uganda (a)
1996-03-11 Sri Lanka (a)
1996-12-13 Bosnia and Herzegovina (a)
1997-09-16 Cabo Verde (a)
1999-01-11 Azerbaijan (a)
1999-03-08 Mexico
1999-06-09 Senegal (a)
2000-09-07 Ghana; Guinea (a)
2000-10-16 Bolivia (Plurinational State of) (a)
2001-02-15 Uruguay (a)
2001-11-14 Belize (a)
2002-01-08 Tajikistan
2002-02-05 Ecuador (a)
2003-03-14 El Salvador; Guatemala
""")
CMW_LATER = instruments("""
2003-06-05 Mali (a)
2003-09-29 Kyrgyzstan (a)
""")

# cwc.html, up to 31 Oct 1996 (Hungary, the 65th).
CWC_65 = instruments("""
1993-01-20 Fiji
1993-02-09 Mauritius
1993-04-07 Seychelles
1993-06-17 Sweden
1994-04-07 Norway
1994-05-06 Australia
1994-05-11 Albania
1994-05-31 Maldives
1994-07-15 Cook Islands
1994-08-03 Spain
1994-08-10 Bulgaria
1994-08-12 Germany
1994-08-19 Sri Lanka
1994-08-29 Mexico
1994-09-29 Turkmenistan
1994-10-06 Uruguay
1994-12-01 Paraguay
1994-12-07 Lesotho
1994-12-22 Greece
1995-01-11 Tajikistan
1995-01-17 Mongolia
1995-01-27 Armenia
1995-02-07 Finland
1995-02-08 Oman
1995-02-15 Romania
1995-03-02 France
1995-03-10 Switzerland
1995-05-23 Croatia
1995-06-01 Monaco
1995-06-30 Netherlands (Kingdom of the)
1995-07-13 Denmark
1995-07-20 Peru
1995-08-14 Algeria
1995-08-17 Austria
1995-08-23 Poland
1995-09-06 Ecuador
1995-09-13 South Africa
1995-09-15 Japan
1995-09-26 Canada
1995-10-02 Argentina
1995-10-27 Slovakia
1995-10-30 El Salvador
1995-11-24 Namibia
1995-11-27 Georgia
1995-12-08 Italy
1995-12-18 Côte d'Ivoire
1995-12-28 Morocco
1996-03-06 Czech Republic
1996-03-13 Brazil
1996-04-17 Papua New Guinea
1996-05-13 Ethiopia; United Kingdom of Great Britain and Northern Ireland
1996-05-31 Costa Rica
1996-06-24 Ireland
1996-07-08 Republic of Moldova
1996-07-11 Belarus
1996-07-12 Chile
1996-07-15 New Zealand
1996-07-23 Latvia; Uzbekistan
1996-08-09 Saudi Arabia
1996-09-03 India
1996-09-10 Portugal
1996-09-16 Cameroon
1996-10-31 Hungary
""")
# Before the general date (Eswatini), and after it (Türkiye). The CWC's art. XXI(2) gives the
# 30-day delay to those depositing "subsequent to the entry into force" (see
# test_a_deposit_between_the_threshold_and_the_general_date_under_the_cwc_is_original).
CWC_LATER = instruments("""
1996-11-20 Eswatini
1997-05-12 Türkiye
""")

# iccpr.html: the 32 rows of the table dated before 1976, and three ratifications of
# predecessor States that the table lists under their successors, from its end notes 1
# (the former Yugoslavia, 2 Jun 1971), 10 (the German Democratic Republic, 8 Nov 1973) and
# 7 (Czechoslovakia, 23 Dec 1975): Czechoslovakia's was the 35th.
ICCPR_TABLE_BEFORE_1976 = instruments("""
1968-11-29 Costa Rica
1969-03-06 Ecuador
1969-03-18 Tunisia
1969-04-02 Cyprus
1969-04-21 Syrian Arab Republic (a)
1969-10-29 Colombia
1970-04-01 Uruguay
1970-05-15 Libya (a)
1970-09-21 Bulgaria
1971-01-25 Iraq
1971-06-21 Madagascar
1971-12-06 Sweden
1972-01-06 Denmark
1972-02-10 Chile
1972-05-01 Kenya (a)
1972-09-13 Norway
1972-11-03 Lebanon (a)
1973-01-05 Barbados (a)
1973-10-16 Russian Federation
1973-11-12 Belarus; Ukraine
1973-12-12 Mauritius (a)
1973-12-17 Germany
1974-01-17 Hungary
1974-07-16 Mali (a)
1974-11-18 Mongolia
1974-12-09 Romania
1975-04-16 Rwanda (a)
1975-05-28 Jordan
1975-06-24 Iran (Islamic Republic of)
1975-08-19 Finland
1975-10-03 Jamaica
""")
ICCPR_PREDECESSORS = instruments("""
1971-06-02 Yugoslavia (former)
1973-11-08 German Democratic Republic
1975-12-23 Czechoslovakia
""")
ICCPR_TABLE_1976 = instruments("""
1976-05-19 Canada (a)
1976-05-20 United Kingdom of Great Britain and Northern Ireland
1976-06-11 United Republic of Tanzania (a)
""")

# iccpr_op1.html, up to 12 Dec 1973 (Mauritius, the 10th), then two later ones.
ICCPR_OP1_10 = instruments("""
1968-11-29 Costa Rica
1969-03-06 Ecuador
1969-10-29 Colombia
1970-04-01 Uruguay
1971-06-21 Madagascar
1971-12-06 Sweden
1972-01-06 Denmark
1972-09-13 Norway
1973-01-05 Barbados (a)
1973-12-12 Mauritius (a)
""")
ICCPR_OP1_LATER = instruments("""
1975-08-19 Finland
1976-05-19 Canada (a)
""")

# crpd.html, up to 3 Apr 2008 (Ecuador, the 20th); Mali; the European Union's formal
# confirmation ("c"), a regional organization's.
CRPD_20 = instruments("""
2007-03-30 Jamaica
2007-07-20 Hungary
2007-08-07 Panama
2007-08-15 Croatia
2007-09-06 Cuba
2007-10-01 Gabon; India
2007-11-30 Bangladesh; South Africa
2007-12-03 Spain
2007-12-04 Namibia
2007-12-07 Nicaragua
2007-12-14 El Salvador
2007-12-17 Mexico
2008-01-30 Peru
2008-02-08 Guinea
2008-02-22 San Marino
2008-03-31 Jordan
2008-04-02 Tunisia
2008-04-03 Ecuador
""")
CRPD_LATER = [*instruments("2008-04-07 Mali"), deposit("European Union", "2010-12-23", ActionKind.FORMAL_CONFIRMATION, reio=True)]

# crpd_op.html, up to 8 Feb 2008 (Guinea, the 10th), then later ones.
CRPD_OP_10 = instruments("""
2007-07-20 Hungary
2007-08-07 Panama
2007-08-15 Croatia
2007-11-30 South Africa
2007-12-03 Spain
2007-12-04 Namibia
2007-12-14 El Salvador
2007-12-17 Mexico
2008-01-30 Peru
2008-02-08 Guinea
""")
CRPD_OP_LATER = instruments("""
2008-02-22 San Marino
2008-04-24 Slovenia
2008-05-12 Bangladesh (a)
""")

# crc_op_ac.html, up to 12 Nov 2001 (New Zealand, the 10th), then Monaco (before the general
# date), Spain (after it), Serbia (31 Jan 2003: one month is 28 Feb 2003). Art. 10(2) gives
# the one-month delay to those "after its entry into force"; these agree with the engine's
# reading (after the threshold day), which a deposit between 12 Jan and 12 Feb 2002 would not.
CRC_OP_AC_10 = instruments("""
2000-07-07 Canada
2000-09-06 Bangladesh
2000-09-08 Sri Lanka
2001-04-30 Andorra
2001-08-08 Panama
2001-10-01 Iceland
2001-10-24 Holy See
2001-11-10 Romania
2001-11-11 Democratic Republic of the Congo
2001-11-12 New Zealand
""")
CRC_OP_AC_LATER = instruments("""
2001-11-13 Monaco
2002-03-08 Spain
2003-01-31 Serbia
""")

# ccw_p4.html, consents to be bound ("P") up to 30 Jan 1998 (Hungary, the 20th), then Mexico.
CCW_P4_20 = instruments("""
1996-01-11 Finland (P)
1997-01-15 Sweden (P)
1997-03-25 Cambodia (P)
1997-03-26 Panama (P)
1997-03-27 Ireland (P)
1997-04-30 Denmark (P)
1997-06-10 Japan (P)
1997-06-12 Philippines (P)
1997-06-27 Germany (P)
1997-07-03 Peru (P)
1997-07-22 Holy See (P)
1997-08-05 Greece (P)
1997-08-22 Australia (P)
1997-09-16 Cabo Verde (P)
1997-09-29 Uzbekistan (P)
1997-11-19 Liechtenstein (P)
1998-01-05 Canada (P)
1998-01-08 New Zealand (P)
1998-01-19 Spain (P)
1998-01-30 Hungary (P)
""")
CCW_P4_LATER = instruments("1998-03-10 Mexico (P)")

# enmod.html: the 19 rows of the table up to 5 Oct 1978, and the ratifications of
# Czechoslovakia (12 May 1978, end note 3) and the German Democratic Republic (25 May 1978,
# note 5), listed under their successors: 21 instruments by 5 Oct 1978, 19 the day before.
# The table alone reaches 20 only with India's, on 15 Dec 1978.
ENMOD_TABLE_19 = instruments("""
1977-07-20 Yemen
1978-04-10 Cuba
1978-04-12 Cyprus
1978-04-19 Denmark; Hungary
1978-04-25 Sri Lanka
1978-05-11 Tunisia
1978-05-12 Finland
1978-05-16 United Kingdom of Great Britain and Northern Ireland
1978-05-19 Mongolia
1978-05-30 Russian Federation
1978-05-31 Bulgaria
1978-06-07 Belarus
1978-06-08 Poland
1978-06-13 Ukraine
1978-06-22 Ghana
1978-07-19 Spain
1978-10-05 Lao People's Democratic Republic; Malawi (a)
""")
ENMOD_PREDECESSORS = instruments("""
1978-05-12 Czechoslovakia
1978-05-25 German Democratic Republic
""")
ENMOD_LATER = instruments("""
1978-12-15 India
1979-02-15 Norway
""")

OTTAWA = TreatyRule(40, Delay.parse("6m,first-of-month"))  # art. 17
CMW = TreatyRule(20, Delay.parse("3m,first-of-next-month"))  # art. 87
CWC = TreatyRule(65, Delay.parse("180d"), Delay.parse("30d"), signature_opens_on=D("1993-01-13"),
                 not_before=D("1995-01-13"), later_after_entry_into_force=True)  # art. XXI  # fmt: skip
ICCPR = TreatyRule(35, Delay.parse("3m"))  # art. 49
ICCPR_OP1 = TreatyRule(10, Delay.parse("3m"), subject_to=True, subject_to_on=D("1976-03-23"))  # art. 9
CRPD = TreatyRule(20, Delay.parse("30d"))  # art. 45
CRPD_OP = TreatyRule(10, Delay.parse("30d"), subject_to=True, subject_to_on=D("2008-05-03"))  # art. 13
CRC_OP_AC = TreatyRule(10, Delay.parse("3m"), Delay.parse("1m"), later_after_entry_into_force=True)  # art. 10
CCW_P4 = TreatyRule(20, Delay.parse("6m"))  # the Convention's art. 5(3)-(4)
ENMOD = TreatyRule(20, Delay.parse("0d"))  # art. IX

# (case, rule, actions, as_of, threshold reached on, general date, some participants' dates)
REAL_TREATY_CASES = [
    ("Ottawa: the 40th on 16 Sep 1998, in force on 1 Mar 1999, the first day of the sixth month after",
     OTTAWA, [*OTTAWA_40, *OTTAWA_LATER], "2026-02-03", "1998-09-16", "1999-03-01",
     {"Canada": "1999-03-01", "Equatorial Guinea": "1999-03-01", "Namibia": "1999-03-01",
      "Afghanistan": "2003-03-01"}),
    ("Ottawa: 39 instruments the day before, not reached", OTTAWA, OTTAWA_40, "1998-09-15", None, None, {}),
    ("Migrant Workers: the 20th on 14 Mar 2003, in force on 1 Jul 2003, the first of the month after three months",
     CMW, [*CMW_20, *CMW_LATER], "2026-02-03", "2003-03-14", "2003-07-01",
     {"Egypt": "2003-07-01", "Mali": "2003-10-01", "Kyrgyzstan": "2004-01-01"}),
    ("CWC: the 65th on 31 Oct 1996, in force 180 days later on 29 Apr 1997, long after 13 Jan 1995",
     CWC, [*CWC_65, *CWC_LATER], "2026-02-03", "1996-10-31", "1997-04-29",
     {"Fiji": "1997-04-29", "Eswatini": "1997-04-29", "Türkiye": "1997-06-11"}),
    ("ICCPR: Czechoslovakia's the 35th on 23 Dec 1975, in force three months later on 23 Mar 1976",
     ICCPR, [*ICCPR_TABLE_BEFORE_1976, *ICCPR_PREDECESSORS, *ICCPR_TABLE_1976], "2026-02-03", "1975-12-23",
     "1976-03-23", {"Costa Rica": "1976-03-23", "Czechoslovakia": "1976-03-23", "Canada": "1976-08-19",
                    "United Kingdom of Great Britain and Northern Ireland": "1976-08-20"}),
    ("ICCPR: the table's rows alone give another 35th, Tanzania's, on 11 Jun 1976",
     ICCPR, [*ICCPR_TABLE_BEFORE_1976, *ICCPR_TABLE_1976], "2026-02-03", "1976-06-11", "1976-09-11",
     {"Costa Rica": "1976-09-11", "United Republic of Tanzania": "1976-09-11"}),
    ("ICCPR-OP1: its 10th in 1973, but in force only with the Covenant on 23 Mar 1976",
     ICCPR_OP1, [*ICCPR_OP1_10, *ICCPR_OP1_LATER], "2026-02-03", "1973-12-12", "1976-03-23",
     {"Costa Rica": "1976-03-23", "Finland": "1976-03-23", "Canada": "1976-08-19"}),
    ("ICCPR-OP1: while the Covenant has no date, neither has the Protocol, its threshold reached",
     TreatyRule(10, Delay.parse("3m"), subject_to=True), ICCPR_OP1_10, "1975-01-01", "1973-12-12", None, {}),
    ("CRPD: the 20th on 3 Apr 2008, in force on the 30th day after, 3 May 2008; the EU's formal confirmation "
     "is not counted and takes effect 30 days after it",
     CRPD, [*CRPD_20, *CRPD_LATER], "2026-02-03", "2008-04-03", "2008-05-03",
     {"Jamaica": "2008-05-03", "Mali": "2008-05-07", "European Union": "2011-01-22"}),
    ("CRPD Optional Protocol: its 10th on 8 Feb 2008, in force with the Convention on 3 May 2008",
     CRPD_OP, [*CRPD_OP_10, *CRPD_OP_LATER], "2026-02-03", "2008-02-08", "2008-05-03",
     {"Hungary": "2008-05-03", "San Marino": "2008-05-03", "Slovenia": "2008-05-24", "Bangladesh": "2008-06-11"}),
    ("CRPD Optional Protocol: before the Convention's date was known it had none",
     TreatyRule(10, Delay.parse("30d"), subject_to=True, subject_to_on=None), CRPD_OP_10, "2008-03-01",
     "2008-02-08", None, {}),
    ("CRC-OP-AC: the 10th on 12 Nov 2001, in force three months later; one month for a later State",
     CRC_OP_AC, [*CRC_OP_AC_10, *CRC_OP_AC_LATER], "2026-02-03", "2001-11-12", "2002-02-12",
     {"Canada": "2002-02-12", "Monaco": "2002-02-12", "Spain": "2002-04-08", "Serbia": "2003-02-28"}),
    ("CCW Protocol IV: the 20th consent to be bound on 30 Jan 1998, in force six months later",
     CCW_P4, [*CCW_P4_20, *CCW_P4_LATER], "2026-02-03", "1998-01-30", "1998-07-30",
     {"Finland": "1998-07-30", "Mexico": "1998-09-10"}),
    ("ENMOD: in force on the deposit of the 20th, 5 Oct 1978, and for each later State on its own",
     ENMOD, [*ENMOD_TABLE_19, *ENMOD_PREDECESSORS, *ENMOD_LATER], "2026-02-03", "1978-10-05", "1978-10-05",
     {"Yemen": "1978-10-05", "Malawi": "1978-10-05", "India": "1978-12-15", "Norway": "1979-02-15"}),
    ("ENMOD: in force the very day of the 20th deposit", ENMOD, [*ENMOD_TABLE_19, *ENMOD_PREDECESSORS],
     "1978-10-05", "1978-10-05", "1978-10-05", {"Malawi": "1978-10-05"}),
    ("ENMOD: the table's rows alone reach 20 only on 15 Dec 1978", ENMOD, [*ENMOD_TABLE_19, *ENMOD_LATER],
     "2026-02-03", "1978-12-15", "1978-12-15", {"Yemen": "1978-12-15"}),
]  # fmt: skip


@pytest.mark.parametrize(
    "rule, actions, as_of, reached_on, in_force_on, dates",
    [case[1:] for case in REAL_TREATY_CASES],
    ids=[case[0] for case in REAL_TREATY_CASES],
)
def test_a_real_treaty_enters_into_force_on_its_stated_date(rule, actions, as_of, reached_on, in_force_on, dates):
    status = status_as_of(rule, actions, D(as_of))
    assert status.threshold_reached_on == (D(reached_on) if reached_on else None)
    assert status.entry_into_force_on == (D(in_force_on) if in_force_on else None)
    for who, day in dates.items():
        assert status.entry_into_force_for[who] == D(day), who
    if in_force_on is None:
        assert status.entry_into_force_for == {}
    assert not status.threshold_reached_on_or_before and not status.entry_into_force_on_or_before


def test_the_ottawa_and_migrant_workers_thresholds_are_reached_by_two_deposits_on_one_day():
    assert status_as_of(OTTAWA, OTTAWA_40, D("1998-09-16")).instruments_counted == 40
    assert status_as_of(CMW, CMW_20, D("2003-03-14")).instruments_counted == 21


def test_formal_confirmations_and_consents_to_be_bound_are_instruments_deposited():
    assert ActionKind.FORMAL_CONFIRMATION in ActionKind and ActionKind.CONSENT_TO_BE_BOUND in ActionKind
    eu = status_as_of(CRPD, [*CRPD_20, *CRPD_LATER], D("2011-01-22"))
    assert "European Union" in eu.with_instrument and eu.instruments_deposited == 22
    assert eu.instruments_counted == 21  # a regional organization's is not counted
    assert "European Union" in eu.in_force_for
    ccw = status_as_of(CCW_P4, CCW_P4_20, D("1998-07-30"))
    assert (ccw.instruments_deposited, ccw.instruments_counted, ccw.parties) == (20, 20, 20)


# HYPOTHETICAL: the CWC's rule with 65 made-up instruments all deposited by 1 Mar 1994, so
# that the 180 days end on 28 Aug 1994, before the 13 Jan 1995 the Convention sets as the
# earliest date. No such thing happened: the real 65th came on 31 Oct 1996.
HYPOTHETICAL_EARLY_65 = [deposit(f"HYPOTHETICAL-{n:02}", "1994-03-01") for n in range(65)]

# (case, actions, as_of, general date, whether it is on or before, some participants' dates)
NOT_BEFORE_CASES = [
    ("HYPOTHETICAL: 180 days ending before 13 Jan 1995 give 13 Jan 1995", HYPOTHETICAL_EARLY_65, "1995-06-01",
     "1995-01-13", False, {"HYPOTHETICAL-00": "1995-01-13"}),
    ("HYPOTHETICAL: a State bound after the threshold day whose 30 days end before 13 Jan 1995 gets it",
     [*HYPOTHETICAL_EARLY_65, deposit("HYPOTHETICAL-LATE", "1994-12-01")], "1995-06-01", "1995-01-13", False,
     {"HYPOTHETICAL-LATE": "1995-01-13"}),
    ("HYPOTHETICAL: a State bound before the general date gets it, though its 30 days end later",
     [*HYPOTHETICAL_EARLY_65, deposit("HYPOTHETICAL-LATE", "1995-01-01")], "1995-06-01", "1995-01-13", False,
     {"HYPOTHETICAL-LATE": "1995-01-13"}),
    ("HYPOTHETICAL: a State bound after the general date gets its own date",
     [*HYPOTHETICAL_EARLY_65, deposit("HYPOTHETICAL-LATE", "1995-02-01")], "1995-06-01", "1995-01-13", False,
     {"HYPOTHETICAL-LATE": "1995-03-03"}),
    ("HYPOTHETICAL: an on-or-before threshold day does not make the fixed earliest date uncertain",
     [*HYPOTHETICAL_EARLY_65[1:], about("HYPOTHETICAL-00", "1994-03-01")], "1995-06-01", "1995-01-13", False,
     {"HYPOTHETICAL-00": "1995-01-13"}),
    ("HYPOTHETICAL: 180 days ending exactly on 13 Jan 1995, from an on-or-before day, are exact",
     [deposit(f"HYPOTHETICAL-{n:02}", "1994-07-17") for n in range(64)] + [about("HYPOTHETICAL-64", "1994-07-17")],
     "1995-06-01", "1995-01-13", False, {}),
    ("HYPOTHETICAL: 180 days ending after 13 Jan 1995 from an on-or-before day stay on or before",
     [deposit(f"HYPOTHETICAL-{n:02}", "1994-07-17") for n in range(64)] + [about("HYPOTHETICAL-64", "1994-07-18")],
     "1995-06-01", "1995-01-14", True, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, in_force_on, on_or_before, dates",
    [case[1:] for case in NOT_BEFORE_CASES],
    ids=[case[0] for case in NOT_BEFORE_CASES],
)
def test_the_general_date_is_never_before_the_earliest_the_treaty_allows(actions, as_of, in_force_on, on_or_before,
                                                                          dates):  # fmt: skip
    status = status_as_of(CWC, actions, D(as_of))
    assert status.entry_into_force_on == D(in_force_on)
    assert status.entry_into_force_on_or_before is on_or_before
    for who, day in dates.items():
        assert status.entry_into_force_for[who] == D(day)


# HYPOTHETICAL, CTBT-like: 3 instruments and besides those of R1 and R2, all required; 180
# days, never before 1 Jan 2000; 30 days for a later participant.
CTBT_LIKE = TreatyRule(3, Delay.days(180), Delay.days(30), not_before=D("2000-01-01"), requires=frozenset({"R1", "R2"}))
MANY_OTHERS = [deposit(f"X{n:03}", "2001-01-01") for n in range(150)]

# (case, actions, as_of, threshold reached on, general date, on or before)
REQUIRES_CASES = [
    ("all required deposited: reached on the day the last of them did",
     [deposit("A", "2001-01-01"), deposit("R1", "2001-02-01"), deposit("B", "2001-03-01"), deposit("R2", "2001-04-02")],
     "2002-01-01", "2001-04-02", "2001-09-29", False),
    ("one required participant missing: never reached, however many others deposit",
     [deposit("R1", "2001-02-01"), *MANY_OTHERS], "2030-01-01", None, None, False),
    ("a required participant's signature alone is no consent",
     [deposit("R1", "2001-02-01"), ActionRecord("R2", ActionKind.SIGNATURE, D("2001-01-01")), *MANY_OTHERS],
     "2030-01-01", None, None, False),
    ("all required in but the count short: reached when the count reaches the threshold",
     [deposit("R1", "2001-02-01"), deposit("R2", "2001-03-01"), deposit("A", "2001-05-01")],
     "2002-01-01", "2001-05-01", "2001-10-28", False),
    ("a required participant that withdrew before the count was reached is needed again",
     [deposit("R1", "2001-02-01", withdrawn="2001-03-01"), deposit("R2", "2001-03-01"), deposit("A", "2001-04-01"),
      deposit("R1", "2001-06-01")],
     "2002-01-01", "2001-06-01", "2001-11-28", False),
    ("the last required participant dated on or before: reached on or before",
     [deposit("R1", "2001-02-01"), deposit("A", "2001-02-01"), about("R2", "2001-04-02")],
     "2002-01-01", "2001-04-02", "2001-09-29", True),
    ("an on-or-before instrument of someone not required does not move a required one's day",
     [deposit("R1", "2001-02-01"), about("A", "2001-03-01"), about("B", "2001-03-02"), deposit("R2", "2001-04-02")],
     "2002-01-01", "2001-04-02", "2001-09-29", False),
    ("the required participant's instrument dated after the as-of day is left out",
     [deposit("R1", "2001-02-01"), deposit("A", "2001-02-01"), deposit("R2", "2001-04-02")],
     "2001-04-01", None, None, False),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, reached_on, in_force_on, on_or_before",
    [case[1:] for case in REQUIRES_CASES],
    ids=[case[0] for case in REQUIRES_CASES],
)
def test_a_treaty_that_requires_some_participants_waits_for_all_of_them(actions, as_of, reached_on, in_force_on,
                                                                        on_or_before):  # fmt: skip
    status = status_as_of(CTBT_LIKE, actions, D(as_of))
    assert status.threshold_reached_on == (D(reached_on) if reached_on else None)
    assert status.entry_into_force_on == (D(in_force_on) if in_force_on else None)
    assert status.threshold_reached_on_or_before is on_or_before
    if reached_on is None:
        assert not status.in_force and status.entry_into_force_for == {}


def test_a_required_participant_bound_after_the_others_is_no_later_joiner_of_its_own_treaty():
    actions = [deposit("A", "2001-01-01"), deposit("R1", "2001-02-01"), deposit("B", "2001-03-01"),
               deposit("R2", "2001-04-02"), deposit("LATE", "2001-12-01")]  # fmt: skip
    status = status_as_of(CTBT_LIKE, actions, D("2002-06-01"))
    assert status.entry_into_force_for == {
        "A": D("2001-09-29"), "R1": D("2001-09-29"), "B": D("2001-09-29"), "R2": D("2001-09-29"), "LATE": D("2001-12-31")
    }  # fmt: skip


# HYPOTHETICAL records with a month rule: "6m,first-of-month", 3 instruments, the same for
# later participants. Reached on 1 Mar 2026, the general date is 1 Sep 2026.
MONTHS = TreatyRule(3, Delay.parse("6m,first-of-month"))
EXACT_THREE = [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")]
UNCERTAIN_THREE = [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), about("C", "2026-03-01")]

# (case, rule, actions, as_of, participant, its date, whether "on or before")
MONTH_PRECISION_CASES = [
    ("an uncertain threshold day: the general date is on or before", MONTHS, UNCERTAIN_THREE, "2026-10-01", "A",
     "2026-09-01", True),
    ("an exact threshold day with an on-or-before founding instrument: exact", MONTHS,
     [about("A", "2026-01-10"), *EXACT_THREE[1:]], "2026-10-01", "A", "2026-09-01", False),
    ("a later participant whose snapped date equals the general date, exactly dated: exact", MONTHS,
     [*UNCERTAIN_THREE, deposit("LATE", "2026-03-20")], "2026-10-01", "LATE", "2026-09-01", False),
    ("a later participant whose snapped date equals an uncertain general date, itself uncertain", MONTHS,
     [*UNCERTAIN_THREE, about("LATE", "2026-03-20")], "2026-10-01", "LATE", "2026-09-01", True),
    ("an exactly dated later participant after the general date is exact", MONTHS,
     [*UNCERTAIN_THREE, deposit("LATE", "2026-04-02")], "2026-11-01", "LATE", "2026-10-01", False),
    ("a later participant dated on or before after the general date is on or before", MONTHS,
     [*EXACT_THREE, about("LATE", "2026-04-02")], "2026-11-01", "LATE", "2026-10-01", True),
    ("a protocol's uncertain threshold day, its convention later: exact, the convention's date",
     TreatyRule(3, Delay.parse("3m"), subject_to=True, subject_to_on=D("2026-12-01")), UNCERTAIN_THREE,
     "2026-12-01", "A", "2026-12-01", False),
    ("a protocol's uncertain threshold day, its convention earlier: on or before",
     TreatyRule(3, Delay.parse("3m"), subject_to=True, subject_to_on=D("2026-04-01")), UNCERTAIN_THREE,
     "2026-12-01", "A", "2026-06-01", True),
    ("a later participant of a protocol whose convention is later takes the convention's date",
     TreatyRule(3, Delay.parse("3m"), subject_to=True, subject_to_on=D("2026-12-01")),
     [*EXACT_THREE, about("LATE", "2026-05-01")], "2026-12-01", "LATE", "2026-12-01", False),
    ("a later participant with a shorter later delay after an uncertain threshold",
     TreatyRule(3, Delay.parse("3m"), Delay.parse("1m")), [*UNCERTAIN_THREE, deposit("LATE", "2026-07-15")],
     "2026-12-01", "LATE", "2026-08-15", False),
    ("a later participant with a shorter later delay ending before the general date takes it",
     TreatyRule(3, Delay.parse("3m"), Delay.parse("1m")), [*UNCERTAIN_THREE, deposit("LATE", "2026-04-15")],
     "2026-12-01", "LATE", "2026-06-01", True),
]  # fmt: skip


@pytest.mark.parametrize(
    "rule, actions, as_of, who, in_force_for_it, on_or_before",
    [case[1:] for case in MONTH_PRECISION_CASES],
    ids=[case[0] for case in MONTH_PRECISION_CASES],
)
def test_with_month_delays_a_date_is_on_or_before_only_when_what_fixes_it_is(rule, actions, as_of, who,
                                                                              in_force_for_it, on_or_before):  # fmt: skip
    status = status_as_of(rule, actions, D(as_of))
    assert status.entry_into_force_for[who] == D(in_force_for_it)
    assert (who in status.entry_into_force_on_or_before_for) is on_or_before


def test_a_later_delay_of_none_is_the_general_delay():
    status = status_as_of(MONTHS, [*EXACT_THREE, deposit("LATE", "2026-04-02")], D("2026-11-01"))
    assert status.entry_into_force_on == D("2026-09-01")
    assert status.entry_into_force_for["LATE"] == D("2026-10-01")


# No rule: a treaty whose entry-into-force clause is not known yet.
NO_RULE_ACTIONS = [
    ActionRecord("A", ActionKind.SIGNATURE, D("2025-10-25")),
    deposit("A", "2026-01-10"),
    deposit("B", "2026-02-10", ActionKind.ACCESSION),
    ActionRecord("C", ActionKind.DEFINITIVE_SIGNATURE, D("2026-02-11")),
    deposit("EU", "2026-02-12", ActionKind.FORMAL_CONFIRMATION, reio=True),
    deposit("W", "2026-01-01", withdrawn="2026-02-01"),
]


def test_with_no_rule_the_counts_are_computed_and_no_date_of_entry_into_force():
    status = status_as_of(None, NO_RULE_ACTIONS, D("2026-03-01"))
    assert status.threshold is None and status.remaining is None
    assert status.threshold_reached_on is None and status.entry_into_force_on is None
    assert status.entry_into_force_for == {} and status.parties == 0 and not status.in_force
    assert (status.signatories, status.instruments_deposited, status.instruments_counted) == (2, 4, 3)
    assert status.signed == {"A", "C"} and status.with_instrument == {"A", "B", "C", "EU"}
    assert status.signature_opens_on is None and status.signature_open
    assert status.in_force_for == {}


def test_with_no_rule_the_timeline_counts_consent_except_a_regional_organizations():
    points = timeline(None, NO_RULE_ACTIONS, D("2026-03-01"))
    assert [(p.day.isoformat(), p.signatories, p.instruments_counted) for p in points] == [
        ("2025-10-25", 1, 0),
        ("2026-01-01", 1, 1),
        ("2026-01-10", 1, 2),
        ("2026-02-01", 1, 1),  # W withdrew
        ("2026-02-10", 1, 2),
        ("2026-02-11", 2, 3),
        ("2026-02-12", 2, 3),  # the EU's is not counted
    ]


def test_a_rule_refuses_days_where_a_delay_is_due():
    with pytest.raises(TypeError):
        TreatyRule(3, 90)
    with pytest.raises(TypeError):
        TreatyRule(3, Delay.days(90), 30)


def test_a_rule_holds_its_required_participants_as_a_frozen_set():
    rule = TreatyRule(3, Delay.days(0), requires={"R1", "R2"})
    assert rule.requires == frozenset({"R1", "R2"}) and hash(rule)


ORDER_CASES = [
    *((case[1], case[2], case[3]) for case in REAL_TREATY_CASES),
    *((CWC, case[1], case[2]) for case in NOT_BEFORE_CASES),
    *((CTBT_LIKE, case[1], case[2]) for case in REQUIRES_CASES),
    *((case[1], case[2], case[3]) for case in MONTH_PRECISION_CASES),
    (None, NO_RULE_ACTIONS, "2026-03-01"),
]


@pytest.mark.parametrize("rule, actions, as_of", ORDER_CASES)
def test_no_result_depends_on_the_order_of_the_records_whatever_the_rule(rule, actions, as_of):
    def shuffled(seed: int) -> list[ActionRecord]:
        copy = list(actions)
        random.Random(seed).shuffle(copy)
        return copy

    expected_status = status_as_of(rule, actions, D(as_of))
    expected_timeline = timeline(rule, actions, D(as_of))
    for order in [list(reversed(actions)), *(shuffled(seed) for seed in range(5))]:
        assert status_as_of(rule, order, D(as_of)) == expected_status
        assert timeline(rule, order, D(as_of)) == expected_timeline


def test_a_deposit_between_the_threshold_and_the_general_date_under_the_cwc_is_original():
    """cwc.html: Niger (9 Apr 1997) and China (25 Apr 1997) ratified after the 65th
    instrument (31 Oct 1996) but before 29 Apr 1997: the Convention entered into force for
    them on that day, not 30 days after their own deposit (art. XXI(2))."""
    later = instruments("""
1997-04-09 Niger
1997-04-25 China
""")
    status = status_as_of(CWC, [*CWC_65, *later], D("2026-02-03"))
    assert status.entry_into_force_for["Niger"] == status.entry_into_force_for["China"] == D("1997-04-29")
    # Read after the threshold day instead (the Hanoi Convention's wording), they would be later.
    hanoi_reading = replace(CWC, later_after_entry_into_force=False)
    assert status_as_of(hanoi_reading, [*CWC_65, *later], D("2026-02-03")).entry_into_force_for["China"] == D("1997-05-25")
