"""What the tests read from the API's answers."""

from __future__ import annotations


def api_error(response, status: int, *words: str) -> str:
    """The refusal's message, after checking its status and that it says each of `words`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    message = response.get_json()["error"]
    for word in words:
        assert word in message, message
    return message
