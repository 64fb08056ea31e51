"""Which number a trunk's call is for (issue 8, finding 8): a registering provider sends its calls to
the Contact the box registered, so the request URI names the account and To the number."""

from firmware.engine.trunk_calls import called_number

REGISTERING = {"type": "register", "username": "4930900"}
PEER = {"type": "peer", "username": None}


def test_a_call_to_the_registration_user_is_for_the_number_in_to():
    number, why = called_number(REGISTERING, "4930900", "4930801")
    assert number == "4930801" and "registration's user 4930900" in why


def test_a_registering_provider_that_addresses_the_number_itself_is_taken_at_its_word():
    assert called_number(REGISTERING, "4930801", "4930802") == ("4930801", None)


def test_without_a_number_in_to_the_request_uri_stands():
    assert called_number(REGISTERING, "4930900", "") == ("4930900", None)
    assert called_number(REGISTERING, "4930900", "4930900") == ("4930900", None)


def test_a_peer_is_always_taken_at_the_request_uri():
    assert called_number(PEER, "4930900", "4930801") == ("4930900", None)
    assert called_number({"type": "register", "username": ""}, "", "4930801") == ("", None)
