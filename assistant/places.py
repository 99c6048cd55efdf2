"""Which words name a country or a U.S. state: the kind a "which country"/"which state" answer must give.

A "which X" answer is a name of that kind; for countries and states that kind can be checked against a
list, so "California" answers "Which state …?" and "Ting" (a name, but a person's) does not. The country
names are the English territory names of the Unicode CLDR (as Babel gives them, the sovereign states and
the names news copy uses for them), with the short forms news copy also uses.
"""

from __future__ import annotations

import re
from functools import lru_cache

_COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Antigua|Argentina|Armenia|Australia|Austria|Azerbaijan|"
    "Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|"
    "Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Cape Verde|"
    "Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|"
    "Czechia|Czech Republic|Ivory Coast|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|"
    "El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|"
    "Georgia|Germany|Ghana|Greece|Greenland|Grenada|Guatemala|Guinea|Guinea-Bissau|Guyana|Haiti|Honduras|"
    "Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|"
    "Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|"
    "Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Marshall Islands|"
    "Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|"
    "Myanmar|Burma|Namibia|Nauru|Nepal|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|"
    "North Macedonia|Norway|Oman|Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|"
    "Philippines|Poland|Portugal|Puerto Rico|Qatar|Romania|Russia|Rwanda|Samoa|San Marino|Saudi Arabia|"
    "Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|"
    "South Africa|South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|"
    "Taiwan|Tajikistan|Tanzania|Thailand|Timor-Leste|East Timor|Togo|Tonga|Trinidad|Tunisia|Turkey|"
    "Türkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|U\\.K\\.|UK|"
    "Britain|Great Britain|England|Scotland|Wales|Northern Ireland|United States|U\\.S\\.|US|USA|America|"
    "Uruguay|Uzbekistan|Vanuatu|Vatican|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe"
)
_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
    "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
_CONTINENTS = "Africa|Antarctica|Asia|Australia|Europe|North America|South America|Latin America|the Arctic"
# The noun of "which X" → the names of its kind.
_KINDS = {"country": _COUNTRIES, "nation": _COUNTRIES, "state": _STATES}
# Any of them: what a bare "where" question is most often answered by (with names after "in", "at").
ANY_PLACE = "place"
_PATTERNS = {**_KINDS, ANY_PLACE: f"{_CONTINENTS}|{_COUNTRIES}|{_STATES}"}


def place_kind(category: tuple[str, ...]) -> str | None:
    """The kind of place "which X" asks for ("state", "country"), or None when X is no such kind."""
    if not category:
        return None
    head = re.sub(r"(?:’s|'s|’|')$", "", category[-1].lower())
    head = head[:-1] if head.endswith("s") and head[:-1] in _KINDS else head
    return head if head in _KINDS else None


@lru_cache(maxsize=8)
def _pattern(kind: str) -> re.Pattern[str]:
    # Word boundaries that let "U.S." end on its dot; case-sensitive, so "us" and "turkey" are not places.
    return re.compile(rf"(?<![\w.])(?:{_PATTERNS[kind]})(?![\w])")


def places_in(text: str, kind: str) -> tuple[str, ...]:
    """The names of places of ``kind`` ("state", "country", "nation", or :data:`ANY_PLACE`: a continent,
    country or state) that ``text`` holds, in order."""
    return tuple(m.group(0) for m in _pattern(kind).finditer(text))
