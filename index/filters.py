"""The values a filter can take, checked when a query is parsed, as `lang:` always was.

A filter value no document can have (`type:foo`, `country:ZZZ`) used to give 0 hits in silence,
indistinguishable from "nothing matched"; so is a field that is not a filter (`title:export`
searched the words "title" and "export"). Both are now `QueryError`s that list the values, or the
filters, there are. Other words with a colon (`note:this`, an address) are still searched as text.
"""

from __future__ import annotations

from parallax.errors import QueryError

# ISO 3166-1 alpha-2, as assigned (the tz database's iso3166.tab), plus EU for its institutions.
COUNTRIES = frozenset("""
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ 
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM 
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS 
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN 
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ 
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM 
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV 
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI 
    VN VU WF WS YE YT ZA ZM ZW 
    EU
""".split())

# Names people try as filters, and the filter that does what they mean.
NOT_FILTERS = {
    "title": None, "body": None, "text": None, "author": None, "url": None, "tag": None,
    "language": "lang", "kind": "type", "site": "source", "domain": "source", "from": "after",
    "since": "after", "until": "before", "to": "before", "date": "after",
}


def check_value(name: str, value: str, pos: int) -> str:
    """`value` normalised for filter `name`, or `QueryError` listing the values there are."""
    if name == "type":
        from crawler.sources import KINDS  # the only values a document's type can have

        value = value.lower()
        if value not in KINDS:
            raise QueryError(f"type:{value} is not a kind of source", pos,
                             f"use one of: {', '.join(sorted(KINDS))}, e.g. type:government")
    if name == "country":
        value = value.upper()
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise QueryError(f"country:{value} is not a two-letter country code", pos,
                             "write the ISO 3166 code, e.g. country:CN, country:US, country:HK or country:TW")
        if value not in COUNTRIES:
            raise QueryError(f"country:{value} is not an ISO 3166 country code", pos,
                             "e.g. country:CN, country:US, country:HK or country:TW")
    return value


def not_a_filter(name: str, value: str, pos: int, fields: tuple[str, ...]) -> QueryError | None:
    """The error for `name:value` when `name` is a field people take for a filter; else None."""
    if name not in NOT_FILTERS:
        return None
    instead = NOT_FILTERS[name]
    hint = (f"did you mean {instead}:{value}? " if instead else "") + (
        f"filters are {', '.join(f + ':' for f in fields)}; to search the words, quote them: "
        f'"{name}:{value}"')
    return QueryError(f"{name}: is not a filter", pos, hint)
