"""Rule-based attribution of reported speech: who a sentence quotes or reports, if anyone.

Covers the patterns news prose uses most: ``“…,” Miller said``, ``said Cristine Soto DeBerry``,
``Rochelle Bilal, Philadelphia’s sheriff, warned``, ``Critics argue that …``, ``X wrote in an
affidavit``, ``according to X``. Pronouns (``she said``) and bare surnames resolve to the last
full name seen; a quotation continuing over several sentences keeps its speaker.
"""

from __future__ import annotations

import re

_VERBS = (
    r"said|says|told|tells|wrote|writes|added|adds|argued|argues|argue(?= that)|arguing|warned|warns|stated|"
    r"claimed|replied|replies|asked|noted|explained|explains|maintain(?= that)|maintains|"
    r"maintained|emphasized|emphasize|re-emphasized|advised|insisted|insists|declared|declares|announced|"
    r"testified|contended|contends|acknowledged|tweeted|countered|responded|urged|urges|cautioned|"
    r"predicted|called for|calls for|made it clear|made clear|point to|pointed to|"
    r"vowed|promised|conceded|admitted|alleged|alleges|complained|recalled|defended|signaled|"
    r"made (?:their|its|his|her) case"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
_AFTER_QUOTE = re.compile(rf"[”\"]\s*,?\s*(?:{_VERBS})\s+(?P<who>[^,.;]+)")
_ACCORDING = re.compile(r"\baccording to (?P<who>[^,.;]+)")
_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w’'.-]*|of|the|and|de|van|der|von|la|le|St\.)$")
_TITLES = {
    "chief", "police", "sheriff", "mayor", "governor", "gov.", "judge", "justice", "dr.", "mr.", "mrs.",
    "ms.", "senator", "sen.", "rep.", "representative", "president", "attorney", "general", "district",
    "secretary", "director", "commissioner", "officer", "deputy", "sgt.", "lt.", "capt.", "former", "acting",
    "u.s.", "state", "county", "city", "council", "member", "councilmember", "assemblymember", "the",
}
_PRONOUNS = {"he", "she", "they", "we", "i", "it"}
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "our", "this", "that"}
_LINKING = {"are", "is", "was", "were", "have", "has", "had", "also", "then", "more", "now", "still", "will",
            "would", "again", "further", "not", "just", "even", "been", "once", "later", "however"}
_INTRO = re.compile(r"^(?:in|on|at|last|this|since|after|before|during|as|when|while|but|and|yet|so|also|"
                    r"however|meanwhile|still|instead|earlier|later|then|for example|first|second|"
                    r"\w+ly)\b", re.I)
_NON_PERSON = {"ice", "dhs", "fbi", "doj", "cbp", "the", "police", "department", "county", "city", "state",
               "court", "office", "agency", "act", "university", "school", "board", "council", "house",
               "senate", "administration", "association", "alliance", "street", "news", "law"}
_FULL_NAME = re.compile(r"\b([A-Z][a-z’'-]+(?:\s+[A-Z][a-zA-Z’'-]+){1,2})\b")


class SpeakerTracker:
    """Attributes the sentences of one article in order, remembering names and open quotations."""

    def __init__(self, text: str):
        self._text = text
        self._full_names: dict[str, list[str]] | None = None
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
        according = _ACCORDING.search(quote_free)
        if according:
            return self._resolve(_clean_phrase(according.group("who")))
        for verb in _VERB.finditer(quote_free):
            before = quote_free[:verb.start()].split()
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
            if len(words) == 1 and words[0].lower() in _PRONOUNS:
                return self._resolve(words[0])
            if _INTRO.match(phrase):
                if i == 0:
                    return None
                continue
            if _is_name(words):
                return self._resolve(phrase)
            if i == 0 and len(words) <= 6:
                return self._resolve(phrase)
        return None

    def _resolve(self, who: str | None) -> str | None:
        if not who:
            return None
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

    def _full_name(self, surname: str) -> list[str]:
        if self._full_names is None:
            self._full_names = full_names(self._text)
        return self._full_names.get(surname, [surname])

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


def full_names(text: str) -> dict[str, list[str]]:
    """Surname -> the first full name (titles stripped) that ends with it in ``text``: one pass per article."""
    found: dict[str, list[str]] = {}
    for match in _FULL_NAME.finditer(text):
        tokens = match.group(1).split()
        if tokens[-1] not in found:
            stripped = _strip_titles(tokens)
            if len(stripped) >= 2:
                found[tokens[-1]] = stripped
    return found


def _mask_quotes(sentence: str) -> str:
    """Replace quoted words with spaces (same length) so verbs inside quotations are not read as attribution."""
    return re.sub(r"“[^”]*”?|\"[^\"]*\"?", lambda m: " " * len(m.group(0)), sentence)


def _ends_inside_quote(sentence: str, was_open: bool) -> bool:
    opens, closes = sentence.count("“"), sentence.count("”")
    if opens or closes:
        return opens > closes or (was_open and opens == closes and sentence.rstrip()[-1:] != "”")
    return was_open


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
