"""Numbers as spoken words: a number becomes a list of prompt names, composed by each language's rules
from a small set of recorded words (pure; the words are spoken by `prompts.generate`).

    spoken(21, "de") -> ["number-ein", "number-and", "number-20"]      # ein-und-zwanzig
    spoken(105, "zh") -> ["number-1", "number-hundred", "number-0", "number-5"]   # 一百零五

Numbers from 0 to MAX_SPOKEN are said in full. A queue position or a wait in minutes cannot come near
it (pjsua2 is built for about a thousand calls), so anything larger is said as MAX_SPOKEN.
"""

from __future__ import annotations

MAX_SPOKEN = 999_999

_DIGITS = range(10)
_TEENS = range(10, 20)
_TENS = range(20, 100, 10)


def _name(key: int | str) -> str:
    return f"number-{key}"


def _words(units: list[str], tens: list[str], others: dict[str, str]) -> dict[str, str]:
    """A language's recorded words by prompt name: 0-19, the tens 20-90, and the language's own."""
    words = {_name(n): word for n, word in zip([*_DIGITS, *_TEENS], units)}
    words.update({_name(n): word for n, word in zip(_TENS, tens)})
    words.update({_name(key): word for key, word in others.items()})
    return words


# The written words; each prompt speaks one of them. Joined (with spaces in English), a number's
# pieces are the number as it is written in words: the unit tests hold them to that.
WORDS: dict[str, dict[str, str]] = {
    "en": _words(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"],
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
        {"hundred": "hundred", "thousand": "thousand", "and": "and"}),
    "sv": _words(
        ["noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv",
         "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton"],
        ["tjugo", "trettio", "fyrtio", "femtio", "sextio", "sjuttio", "åttio", "nittio"],
        {"hundred": "hundra", "thousand": "tusen"}),
    "de": _words(
        ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
         "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"],
        ["zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"],
        # "ein": 1 joined to what follows (einundzwanzig, tausendeinhundert)
        {"hundred": "hundert", "thousand": "tausend", "and": "und", "ein": "ein"}),
    "zh": {
        **{_name(n): word for n, word in zip(_DIGITS, "零一二三四五六七八九")},
        _name(10): "十", _name("hundred"): "百", _name("thousand"): "千", _name("ten-thousand"): "万",
        _name("liang"): "两",         # 2 as a count before 百, 千, 万: 两百, 两千, 两万
    },
}


def spoken(number: int, language: str) -> list[str]:
    """The prompt names that say `number` in `language` (one of WORDS)."""
    if number < 0:
        raise ValueError(f"no words for a negative number ({number})")
    number = min(number, MAX_SPOKEN)
    return _SPEAKERS[language](number)


# --- English (British): "twenty one", "one hundred and five", "two thousand and twelve" ----------

def _english_below_100(n: int) -> list[str]:
    if n < 20:
        return [_name(n)]
    tens, unit = divmod(n, 10)
    return [_name(tens * 10)] + ([_name(unit)] if unit else [])


def _english_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _english_below_100(n)
    words = [_name(hundreds), _name("hundred")]
    return words + ([_name("and")] + _english_below_100(rest) if rest else [])


def _english(n: int) -> list[str]:
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _english_below_1000(n)
    words = _english_below_1000(thousands) + [_name("thousand")]
    if not rest:
        return words
    # "and" before a last part under a hundred: "two thousand and twelve"
    return words + ([_name("and")] + _english_below_100(rest) if rest < 100 else _english_below_1000(rest))


# --- Swedish: written as one word, "tjugoett", "etthundrafem", "tvåtusenfemhundra" ----------------

def _swedish_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [_name(hundreds), _name("hundred")] if hundreds else []
    if rest >= 20:
        tens, unit = divmod(rest, 10)
        words += [_name(tens * 10)] + ([_name(unit)] if unit else [])
    elif rest or not words:
        words.append(_name(rest))
    return words


def _swedish(n: int) -> list[str]:
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _swedish_below_1000(n)
    return _swedish_below_1000(thousands) + [_name("thousand")] + (_swedish_below_1000(rest) if rest else [])


# --- German: units before tens with "und" (einundzwanzig), "hundertfünf", "tausendeinhundert" -----

def _german_below_100(n: int, last: bool) -> list[str]:
    """`last`: nothing follows, so 1 is "eins"; before "hundert" or "tausend" it is "ein"."""
    if n == 1 and not last:
        return [_name("ein")]
    if n < 20:
        return [_name(n)]
    tens, unit = divmod(n, 10)
    if not unit:
        return [_name(n)]
    return [_name("ein") if unit == 1 else _name(unit), _name("and"), _name(tens * 10)]


def _german_below_1000(n: int, first: bool, last: bool) -> list[str]:
    """`first`: the number starts here, where a lone "ein" before hundert is left out (hundertfünf)."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        if not (hundreds == 1 and first):
            words += _german_below_100(hundreds, last=False)
        words.append(_name("hundred"))
    if rest or not words:
        words += _german_below_100(rest, last)
    return words


def _german(n: int) -> list[str]:
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _german_below_1000(n, first=True, last=True)
    words = [] if thousands == 1 else _german_below_1000(thousands, first=True, last=False)
    words.append(_name("thousand"))
    return words + (_german_below_1000(rest, first=False, last=True) if rest else [])


# --- Chinese: 二十一, 一百零五 (零 for a gap), 两百, 十二万零五 ---------------------------------------

_CHINESE_UNITS = {3: "thousand", 2: "hundred", 1: 10}


def _chinese_below_10000(n: int, starts_number: bool) -> list[str]:
    """Digits from 千 down to the units: one 零 for any run of zeros between digits, none at the end.
    At the start of the whole number 10-19 are 十..., and a 2 before 百 or 千 is 两."""
    words: list[str] = []
    gap = False
    for place in (3, 2, 1, 0):
        digit = n // 10 ** place % 10
        if digit == 0:
            gap = bool(words)
            continue
        if gap:
            words.append(_name(0))
            gap = False
        leading = starts_number and not words
        if place == 1 and digit == 1 and leading:
            pass                                   # 十二, not 一十二
        elif place >= 2 and digit == 2 and leading:
            words.append(_name("liang"))
        else:
            words.append(_name(digit))
        if place:
            words.append(_name(_CHINESE_UNITS[place]))
    return words


def _chinese(n: int) -> list[str]:
    if n == 0:
        return [_name(0)]
    high, low = divmod(n, 10_000)
    if not high:
        return _chinese_below_10000(n, starts_number=True)
    words = [_name("liang")] if high == 2 else _chinese_below_10000(high, starts_number=True)
    words.append(_name("ten-thousand"))
    if low:
        if low < 1000:
            words.append(_name(0))                 # 一万零五: the 千 place is empty
        words += _chinese_below_10000(low, starts_number=False)
    return words


_SPEAKERS = {"en": _english, "sv": _swedish, "de": _german, "zh": _chinese}
