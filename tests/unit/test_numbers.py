"""Numbers said by each language's rules: the recorded words a number is composed of, joined, are the
number as it is written in words (issue 8, finding 11: positions 21-24, 26-29, 31-39 ... had no prompt)."""

import re

import pytest

from firmware.engine import prompts
from firmware.engine.numbers import MAX_SPOKEN, WORDS, spoken


def written(number: int, language: str) -> str:
    """The words the pieces say, joined as the language writes them."""
    words = [WORDS[language][name] for name in spoken(number, language)]
    text = " ".join(words) if language == "en" else "".join(words)
    if language == "sv":
        text = re.sub(r"(.)\1\1", r"\1\1", text)    # Swedish writes no three equal letters: ett+tusen = ettusen
    return text


ENGLISH = {
    0: "zero", 7: "seven", 13: "thirteen", 20: "twenty", 21: "twenty one", 23: "twenty three",
    25: "twenty five", 40: "forty", 59: "fifty nine", 99: "ninety nine", 100: "one hundred",
    105: "one hundred and five", 110: "one hundred and ten", 150: "one hundred and fifty",
    999: "nine hundred and ninety nine", 1000: "one thousand", 1005: "one thousand and five",
    1100: "one thousand one hundred", 2012: "two thousand and twelve", 21000: "twenty one thousand",
    100500: "one hundred thousand five hundred",
}
SWEDISH = {
    0: "noll", 1: "ett", 7: "sju", 13: "tretton", 18: "arton", 20: "tjugo", 21: "tjugoett", 23: "tjugotre",
    25: "tjugofem", 40: "fyrtio", 59: "femtionio", 99: "nittionio", 100: "etthundra", 105: "etthundrafem",
    150: "etthundrafemtio", 999: "niohundranittionio", 1000: "ettusen", 1005: "ettusenfem",
    1100: "ettusenetthundra", 2012: "tvåtusentolv", 21000: "tjugoettusen", 100500: "etthundratusenfemhundra",
}
GERMAN = {
    0: "null", 1: "eins", 7: "sieben", 13: "dreizehn", 16: "sechzehn", 17: "siebzehn", 20: "zwanzig",
    21: "einundzwanzig", 23: "dreiundzwanzig", 25: "fünfundzwanzig", 30: "dreißig", 31: "einunddreißig",
    59: "neunundfünfzig", 99: "neunundneunzig", 100: "hundert", 101: "hunderteins", 105: "hundertfünf",
    150: "hundertfünfzig", 221: "zweihunderteinundzwanzig", 999: "neunhundertneunundneunzig",
    1000: "tausend", 1001: "tausendeins", 1100: "tausendeinhundert", 2012: "zweitausendzwölf",
    21000: "einundzwanzigtausend", 101101: "hunderteintausendeinhunderteins",
}
CHINESE = {
    0: "零", 2: "二", 7: "七", 10: "十", 13: "十三", 20: "二十", 21: "二十一", 23: "二十三", 25: "二十五",
    59: "五十九", 99: "九十九", 100: "一百", 105: "一百零五", 110: "一百一十", 115: "一百一十五",
    150: "一百五十", 200: "两百", 202: "两百零二", 999: "九百九十九", 1000: "一千", 1005: "一千零五",
    1010: "一千零一十", 1200: "一千二百", 2000: "两千", 10005: "一万零五", 20000: "两万", 21000: "两万一千",
    100500: "十万零五百", 200000: "二十万", 999999: "九十九万九千九百九十九",
}


@pytest.mark.parametrize("language, number, words", [
    *[("en", n, w) for n, w in ENGLISH.items()], *[("sv", n, w) for n, w in SWEDISH.items()],
    *[("de", n, w) for n, w in GERMAN.items()], *[("zh", n, w) for n, w in CHINESE.items()]])
def test_a_number_is_said_as_it_is_written(language, number, words):
    assert written(number, language) == words


def test_german_says_units_before_tens_with_und():
    assert spoken(21, "de") == ["number-ein", "number-and", "number-20"]


def test_chinese_says_one_zero_for_a_gap_and_none_at_the_end():
    assert written(1005, "zh") == "一千零五" and written(10050, "zh") == "一万零五十"
    assert written(1500, "zh") == "一千五百"


@pytest.mark.parametrize("language", prompts.LANGUAGES)
def test_every_number_a_queue_can_reach_has_its_words(language):
    """Positions and minutes up to 2000 (far past the calls one box can hold), and a few far beyond."""
    for number in [*range(0, 2001), 12_345, 99_999, 100_001, 654_321, MAX_SPOKEN]:
        pieces = spoken(number, language)
        assert pieces and set(pieces) <= set(WORDS[language]), (language, number)


def test_larger_numbers_are_said_as_the_largest_and_negatives_refused():
    assert spoken(MAX_SPOKEN + 1, "en") == spoken(MAX_SPOKEN, "en")
    with pytest.raises(ValueError):
        spoken(-1, "en")


def test_the_words_never_shadow_a_prompt_of_the_texts():
    """The words are prompts of their language and never shadow a prompt of the box's texts."""
    for language in prompts.LANGUAGES:
        assert not set(WORDS[language]) & set(prompts.TEXTS[language])
