"""What every resource's schema shares: the base models, ids, names, notes, days and times, said
with the same rules webui.fields enforces (so that clients and schemathesis know them), and the
error body. Each domain's `schema.py` defines its resources with these; webui/api/openapi.py
generates the description from them and from the routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from firmware.message import N_
from webui.fields import SQLITE_INT_MAX, unusable_character
from webui.validation import Hint

# Text is one line without control characters, and a name is not blank.
CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
ONE_LINE = f"^[^{CONTROLS}]*$"
NOT_BLANK = f"^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$"
NOTE_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
NOTE_CHAR = f"[^{NOTE_CONTROLS}]"

DATE_PATTERN = r"(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}"


def _text_check(*, multiline: bool, strip: bool):
    """Text the box can store and use (webui.fields.unusable_character), checked before stripping:
    str.strip() also takes control characters off the ends, which would let them through unseen.
    Stripped to nothing it is left out."""
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value            # the type's own check words the refusal
        problem = unusable_character(value, multiline=multiline)
        if problem:
            raise PydanticCustomError("unusable_text", "{message}", {"message": problem})
        if strip:
            return value.strip() or None
        return value
    return BeforeValidator(check)


# What each kind of text field takes: one line, stripped (names, numbers, codes); several lines,
# stripped (notes); one line as typed (passwords, whose spaces count).
Text = Annotated[str, _text_check(multiline=False, strip=True)]
MultilineText = Annotated[str, _text_check(multiline=True, strip=True)]
Secret = Annotated[str, _text_check(multiline=False, strip=False)]

Id = Annotated[int, Field(ge=1, le=SQLITE_INT_MAX)]
Name = Annotated[Text, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
Note = Annotated[MultilineText, Field(max_length=500, pattern=f"^{NOTE_CHAR}*$",
                                      description="line breaks and tabs allowed, no other control character")]
# Days from 1970 to 2999: the box's clock never leaves them, and a day after 9999-12-31 (asked for
# as the end of `to`) does not exist in Python's calendar (once a 500).
Day = Annotated[Text, Hint(N_("must be a date YYYY-MM-DD from 1970 to 2999")),
                Field(max_length=10, pattern=f"^{DATE_PATTERN}$", json_schema_extra={"format": "date"},
                      description="a day from 1970 to 2999")]
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Flag = Literal["0", "1"]


class Resource(BaseModel):
    """What the API answers: every field is there (null when it has no value), and nothing else."""
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True,
                              regex_engine="python-re")


class Body(BaseModel):
    """A request body, read strictly (webui.validation): "5" is no integer in JSON. An optional
    field given as null counts as left out. A field of an Enum type says `Field(strict=False)`, so
    that the enum's value (what JSON and forms carry) is taken for its member."""
    model_config = ConfigDict(regex_engine="python-re", strict=True)


class StrictBody(Body):
    """A request body whose unknown keys are refused."""
    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """An operation's query parameters: each field one, none required, an empty value left out (a
    page's filter form sends empty inputs); one it does not name is refused."""
    model_config = ConfigDict(regex_engine="python-re", populate_by_name=True, strict=True)


class DayRange(Query):
    """Days in the box's local time: `from` the first, `to` the last."""
    from_: Day = Field(default=None, alias="from", description="first day (box local time)")
    to: Day = Field(default=None, description="last day (box local time)")


class Error(Resource):
    error: str = Field(description="what went wrong, naming the field (\"name: must not be blank\")")


def with_description(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description}
