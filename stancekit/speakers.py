"""Rule-based attribution of reported speech: who a sentence quotes or reports, if anyone.

Covers the patterns news prose uses most: ``“…,” Miller said``, ``said Cristine Soto DeBerry``,
``…, said Virginia Kice.``, ``Rochelle Bilal, Philadelphia’s sheriff, warned``, ``LAPD chief Charlie
Beck said``, ``…, the Sheriff's Department said``, ``Critics argue that …``, ``X wrote in an
affidavit``, ``according to X``. A listener (``told Reuters``), a verb inside a relative clause
(``people who say …``) and a dateline (``WASHINGTON —``) are not read as speakers. Pronouns (``she
said``) resolve to the last full name seen, bare surnames to the article's full name; a quotation
continuing over several sentences keeps its speaker. Generic subjects are made consistent: ``the
sheriff`` becomes the one sheriff the article names, a law (``the Immigration and Nationality Act``)
is no speaker, ``Some``, ``Others`` and ``Officials`` are UNNAMED_SPEAKERS. The article's names are
indexed once (NameIndex), so attribution is linear in its length.
"""

from __future__ import annotations

import re

_VERBS = (
    r"said|says|say(?= (?:that|it|the|they|there|this)\b)|told|tells|wrote|writes|added|adds|argued|argues|"
    r"argue(?= that)|arguing|warned|warns|stated|"
    r"claimed|replied|replies|asked|noted|explained|explains|maintain(?= that)|maintains|"
    r"maintained|emphasized|emphasize|re-emphasized|advised|insisted|insists|declared|declares|announced|"
    r"testified|contended|contends|acknowledged|tweeted|countered|responded|urged|urges|cautioned|"
    r"predicted|called for|calls for|made it clear|made clear|point to|pointed to|"
    r"vowed|promised|conceded|admitted|alleged|alleges|complained|recalled|defended|signaled|"
    r"made (?:their|its|his|her) case|suggested|repeated|criticized|criticised|criticizes|pledged|pledges|"
    r"called on|described|posted|denounced|condemned|blasted|slammed|praised"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
_AFTER_QUOTE = re.compile(rf"[”\"]\s*,?\s*(?:{_VERBS})\s+(?P<who>[^,.;]+)")
_ACCORDING = re.compile(r"\b(?i:according to) (?P<who>(?:U\.S\.|[^,.;])+)")
# "…, said Virginia Kice." (verbs whose object is not the listener, unlike "told" or "asked")
_INVERTED = re.compile(r",\s*(?:said|says|added|adds|wrote|writes|noted|explained|stated|argued|warned|declared|"
                       r"insisted|contended|acknowledged|countered|responded|replied|cautioned)\s+"
                       r"(?P<who>(?:[A-Z][a-z]{0,3}\.\s+)?[A-Z][^,.;:]*)")
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w’'.-]*|of|the|and|de|van|der|von|la|le|St\.)$")
_TITLES = {
    "chief", "police", "sheriff", "mayor", "governor", "gov.", "judge", "justice", "dr.", "mr.", "mrs.",
    "ms.", "maj.", "col.", "gen.", "rev.", "senator", "sen.", "rep.", "representative", "president", "attorney",
    "general", "district",
    "secretary", "director", "commissioner", "officer", "deputy", "sgt.", "lt.", "capt.", "former", "acting",
    "u.s.", "state", "county", "city", "council", "member", "councilmember", "assemblymember", "the",
}
_PRONOUNS = {"he", "she", "they", "we", "i", "it"}
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "our", "this", "that"}
_LINKING = {"are", "is", "was", "were", "have", "has", "had", "also", "then", "more", "now", "still", "will",
            "would", "again", "further", "not", "just", "even", "been", "once", "later", "however"}
_INTRO = re.compile(r"^(?:in|on|at|last|this|since|after|before|during|as|when|while|but|and|yet|so|also|"
                    r"although|though|because|if|unless|whether|despite|once|until|today|yesterday|"
                    r"however|meanwhile|still|instead|earlier|later|then|for example|first|second|"
                    r"\w+ly)\b", re.I)
_NON_PERSON = {"ice", "dhs", "fbi", "doj", "cbp", "the", "police", "department", "county", "city", "state",
               "court", "office", "agency", "act", "university", "school", "board", "council", "house",
               "senate", "administration", "association", "alliance", "street", "news", "law"}
_FULL_NAME = re.compile(r"\b([A-Z][a-z’'-]+(?:\s+[A-Z][a-zA-Z’'-]+){1,2})\b")
_ROLES = ("sheriff", "mayor", "governor", r"gov\.", "attorney general", "police chief", "chief", "judge",
          "superintendent", r"supt\.", "commissioner", "senator", r"sen\.", "district attorney", "prosecutor")
_ROLE_WORDS = "|".join(_ROLES)
# Written out in each capitalisation (a case-insensitive group makes the article-wide scan about twice as slow).
_ROLE_CASES = "|".join(sorted({v for r in _ROLES for v in (r, r[0].upper() + r[1:], r.title())},
                             key=len, reverse=True))
_ROLE_CANONICAL = {"gov.": "governor", "sen.": "senator", "supt.": "superintendent", "police chief": "chief"}
_TITLED_NAME = re.compile(rf"\b(?P<role>{_ROLE_CASES})\s+"
                          rf"(?P<name>(?:(?:[A-Z]\.|[A-Z][\w’'-]*)\s+){{0,2}}[A-Z][\w’'-]+)")
_NAMED_ROLE = re.compile(rf"\b(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'.-]+){{1,2}}),\s+(?:the|a)\s+"
                         rf"(?:[\w’'-]+\s+){{0,3}}?(?P<role>{_ROLE_CASES})(?=[,;.]| of | in )")
_ROLE_SUBJECT = re.compile(rf"^(?:the|this|that)\s+(?:[\w’'-]+\s+){{0,2}}?(?P<role>{_ROLE_WORDS})$", re.I)
_OFFICE_SUBJECT = re.compile(r"^the\s+(?:[\w’'-]+\s+){0,2}?(?:sheriff|mayor|governor|attorney general|police chief|"
                             r"district attorney)[’']s\s+(?:office|department)$", re.I)
_UNNAMED = {"some", "others", "other", "many", "several", "most", "few", "both", "all", "one", "another", "any",
            "some of them", "many of them", "others still", "some people", "many people", "officials", "authorities",
            "observers", "experts", "sources", "people"}
UNNAMED_SPEAKERS = "unnamed speakers"
_DOCUMENTS = {"act", "law", "laws", "statute", "ordinance", "code", "constitution", "amendment", "directive", "bill",
              "ruling", "rule", "regulation", "section", "clause", "provision", "provisions", "measure",
              "legislation"}
_PREPOSITIONS = {"in", "of", "at", "for", "from", "to", "on", "with", "by", "near", "across", "under"}
_CONTINUED_QUOTE = re.compile(r"^[^“”\"]*[,.!?…—-][”\"]")


class SpeakerTracker:
    """Attributes the sentences of one article in order, remembering names and open quotations."""

    def __init__(self, text: str):
        self._text = text
        self._names: NameIndex | None = None
        self._last_person: str | None = None
        self._last_speaker: str | None = None
        self._quote_open = False

    def attribute(self, sentence: str) -> str | None:
        """Speaker of ``sentence`` (a resolved name, a role, or a group), else None for the author's voice."""
        speaker = self._find(sentence)
        starts_in_quote = sentence.lstrip()[:1] in "“\"" or self._quote_open
        if speaker is None and starts_in_quote and self._last_speaker:
            speaker = self._last_speaker
        self._quote_open = _ends_inside_quote(sentence, self._quote_open)
        self._remember_subject(sentence, speaker)
        return speaker

    def _find(self, sentence: str) -> str | None:
        quote_free = _mask_quotes(sentence)
        after = _AFTER_QUOTE.search(sentence)
        if after:
            return self._resolve(_clean_phrase(after.group("who")))
        inverted = _INVERTED.search(quote_free)
        if inverted and _is_name(_clean_phrase(inverted.group("who")).split()):
            return self._resolve(_clean_phrase(inverted.group("who")))
        according = _ACCORDING.search(quote_free)
        if according and any(w[:1].isupper() for w in according.group("who").split()):
            return self._resolve(_clean_phrase(according.group("who")))  # not "according to the data"
        for verb in _VERB.finditer(quote_free):
            before = quote_free[:verb.start()].split()
            while before and before[-1].lower() in _LINKING:
                before.pop()
            if before and before[-1].lower() in ("who", "that") and len(before) > 1 \
                    and not before[-2].endswith(","):
                continue  # a verb in a relative clause ("people who say …"): not this sentence's attribution
            if not before or before[-1].lower() not in _DETERMINERS:
                return self._subject_before(quote_free[:verb.start()])
        return None

    def _subject_before(self, prefix: str) -> str | None:
        """The speaker named before a speech verb: skip adverbials and appositives, stop at a name."""
        chunks = [c.strip() for c in re.split(r"[,–—:]|\s-\s", prefix) if c.strip()]
        for i in range(len(chunks) - 1, -1, -1):
            words = chunks[i].split()
            if i == len(chunks) - 1:
                while words and (words[-1].lower() in _LINKING or words[-1].endswith("ly")):
                    words.pop()
                if not words:
                    continue
            phrase = " ".join(words)
            if phrase.lower() in ("who", "which"):
                return self._resolve(_last_noun_phrase(chunks[i - 1])) if i else None
            if (i == len(chunks) - 1 and (phrase.lower() in _UNNAMED or _is_institution(words))
                    and not (i and _is_name(chunks[i - 1].split()))):  # not an appositive of a name
                return self._resolve(phrase)  # "…, officials said", "…, the Sheriff's Department said"
            if phrase.isupper() and i < len(chunks) - 1:
                continue  # a dateline ("WASHINGTON —")
            if len(words) == 1 and words[0].lower() in _PRONOUNS:
                return self._resolve(words[0])
            if _INTRO.match(phrase):
                if i == 0:
                    return None
                continue
            if _is_name(words):
                if _strip_titles(words)[0][:1].islower():
                    continue  # a job description ("President and CEO of CWS"): the name comes before it
                return self._resolve(phrase)
            named = _trailing_name(words) if len(chunks) == 1 else None
            if named:
                return self._resolve(named)  # "Los Angeles Police Department chief Charlie Beck said"
            if i == 0 and len(words) <= 6:
                return self._resolve(phrase)
        return None

    def _resolve(self, who: str | None) -> str | None:
        if not who:
            return None
        generic = self._generic(who)
        if generic is not None:
            self._last_speaker = generic or None
            return generic or None
        words = who.split()
        if len(words) == 1 and words[0].lower() in _PRONOUNS:
            resolved = self._last_speaker if words[0].lower() in ("they", "we", "it") else self._last_person
            self._last_speaker = resolved
            return resolved
        if _is_name(words):
            person = _strip_titles(words)
            if len(person) == 1:
                person = self._full_name(person[0])
            name = " ".join(person)
            if person and person[-1].lower() not in _NON_PERSON:
                self._last_person = name
            self._last_speaker = name
            return name
        self._last_speaker = who
        return who

    @property
    def names(self) -> NameIndex:
        """The article's full names and named roles, indexed on first use: one pass per article."""
        if self._names is None:
            self._names = NameIndex(self._text)
        return self._names

    def _full_name(self, surname: str) -> list[str]:
        return self.names.surnames.get(surname, [surname])

    def _generic(self, who: str) -> str | None:
        """A generic subject made consistent: a role the article names -> the person, a law -> '' (no
        speaker), "Some"/"Others"/"Officials" -> UNNAMED_SPEAKERS, "The Sheriff's Office" -> "the sheriff's
        office"; None when ``who`` is not generic."""
        low = who.lower().strip()
        if low in _UNNAMED:
            return UNNAMED_SPEAKERS
        if low.split()[-1] in _DOCUMENTS:
            return ""
        if _OFFICE_SUBJECT.match(low):
            return low
        role = _ROLE_SUBJECT.match(low)
        if role:
            person = self.names.holder(role.group("role"))
            if person:
                self._last_person = person
            return person or low
        return None

    def _remember_subject(self, sentence: str, speaker: str | None) -> None:
        """A sentence that opens with a person's name makes it the referent of a later 'she'."""
        if speaker and speaker == self._last_person:
            return
        head = re.split(r"[,–—]", sentence, maxsplit=1)[0].split()
        if _INTRO.match(" ".join(head)):
            parts = re.split(r"[,–—]", sentence)
            head = parts[1].split() if len(parts) > 1 else []
        if 2 <= len(head) <= 5 and _is_name(head):
            person = _strip_titles(head)
            if len(person) >= 2 and not any(w.lower() in _NON_PERSON for w in person):
                self._last_person = " ".join(person)
        elif head and len(head) >= 2 and _is_name(head[:1]) and head[1][:1].islower():
            person = self._full_name(head[0])
            if len(person) >= 2 and head[0].lower() not in _NON_PERSON:
                self._last_person = " ".join(person)


class NameIndex:
    """Every full name and named role of one article, found in one pass so attribution stays linear."""

    def __init__(self, text: str):
        self.surnames: dict[str, list[str]] = {}
        for match in _FULL_NAME.finditer(text):
            tokens = match.group(1).split()
            if tokens[-1] not in self.surnames:
                stripped = _strip_titles(tokens)
                if len(stripped) >= 2:
                    self.surnames[tokens[-1]] = stripped
        found = [(_role(m.group("role")), re.sub(r"[’']s$", "", m.group("name")).split())
                 for pattern in (_TITLED_NAME, _NAMED_ROLE) for m in pattern.finditer(text)]
        found = [(role, tokens) for role, tokens in found
                 if not any(t.lower() in _NON_PERSON or t.lower() in _TITLES for t in tokens)]
        for _, tokens in found:
            if len(tokens) >= 2:
                self.surnames.setdefault(tokens[-1], tokens)
        self.roles: dict[str, set[str]] = {}
        for role, tokens in found:
            self.roles.setdefault(role, set()).add(" ".join(self.surnames.get(tokens[-1], tokens)))

    def holder(self, role: str) -> str | None:
        """The one person the article names in ``role`` ("sheriff" -> "Craig Owens"), else None."""
        people = self.roles.get(_role(role), set())
        return next(iter(people)) if len(people) == 1 else None


def _role(word: str) -> str:
    low = " ".join(word.lower().split())
    return _ROLE_CANONICAL.get(low, low)


def _mask_quotes(sentence: str) -> str:
    """Replace quoted words with spaces (same length) so verbs inside quotations are not read as attribution."""
    continued = _CONTINUED_QUOTE.match(sentence)  # the end of a quotation opened in an earlier sentence
    if continued:
        sentence = " " * continued.end() + sentence[continued.end():]
    return re.sub(r"“[^”]*”?|\"[^\"]*\"?", lambda m: " " * len(m.group(0)), sentence)


def _ends_inside_quote(sentence: str, was_open: bool) -> bool:
    opens, closes = sentence.count("“"), sentence.count("”")
    if opens or closes:
        return opens > closes or (was_open and opens == closes and sentence.rstrip()[-1:] != "”")
    return was_open


def _trailing_name(words: list[str]) -> str | None:
    """The full name that ends a descriptive phrase ("DHS spokesperson Tricia McLaughlin"), if any."""
    for start in range(1, len(words) - 1):
        tail = words[start:]
        if words[start - 1][:1].islower() and words[start - 1] not in _PREPOSITIONS and len(tail) <= 4 \
                and _is_name(tail) \
                and not any(w.lower() in _NON_PERSON or not w[:1].isupper() for w in tail):
            return " ".join(tail)
    return None


def _is_institution(words: list[str]) -> bool:
    """'the' and a capitalised name: "the San Francisco Sheriff's Department", "the Justice Department"."""
    return len(words) >= 2 and words[0].lower() == "the" and _is_name(words[1:])


def _is_name(words: list[str]) -> bool:
    return bool(words) and words[0][:1].isupper() and all(_NAME_TOKEN.match(w) for w in words) and len(words) <= 7


def _strip_titles(words: list[str]) -> list[str]:
    last_title = -1
    for i, w in enumerate(words[:-1]):
        if w.lower() in _TITLES or w.lower().rstrip("’s") in _TITLES:
            last_title = i
    return words[last_title + 1:]


def _last_noun_phrase(chunk: str) -> str:
    parts = re.split(r"\b(?:among|by|from|of|with|for)\b", chunk)
    return parts[-1].strip()


def _clean_phrase(phrase: str) -> str:
    words = phrase.strip().split()
    stop = {"in", "on", "at", "during", "to", "after", "before", "last", "this", "tuesday", "monday",
            "wednesday", "thursday", "friday", "saturday", "sunday", "who", "which"}
    kept = []
    for w in words:
        if w.lower() in stop:
            break
        kept.append(w)
    return " ".join(kept)
