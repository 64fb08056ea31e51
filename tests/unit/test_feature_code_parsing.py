"""Feature codes an agent dials on their phone: parsed without I/O."""

import pytest

from firmware.engine.calls.feature_codes import CONFIRMATIONS, FeatureCode, parse
from firmware.engine.prompts import TEXTS


@pytest.mark.parametrize("dialled, code", [
    ("*41", FeatureCode("login")), ("*42", FeatureCode("logout")), ("*43", FeatureCode("pause")),
    ("*432", FeatureCode("pause", 2)), ("*4312", FeatureCode("pause", 12)), ("*44", FeatureCode("unpause")),
    ("*46", FeatureCode("classify")), ("*463", FeatureCode("classify", 3)),
    ("*45", FeatureCode("wrapup-end")),
])
def test_each_code(dialled, code):
    assert parse(dialled) == code


@pytest.mark.parametrize("dialled", ["", "*4", "*40", "*47", "*49", "*410", "*420", "*430", "*43100", "*43x",
                                     "41", "#41", "*441", "*451", "*460", "4930100", "*3"])
def test_anything_else_is_no_feature_code(dialled):
    assert parse(dialled) is None


def test_every_result_has_a_prompt_in_every_language():
    for texts in TEXTS.values():
        assert set(CONFIRMATIONS.values()) | {"feature-refused"} <= set(texts)
