"""Reading the edge's registrations: kamailio's ul.dump as its JSON-RPC returns it."""

from firmware.edge.registrations import RegistrationWatcher, registered_users


def record(aor, *expires):
    return {"Info": {"AoR": aor, "HashID": 1, "Contacts": [
        {"Contact": {"Address": f"sip:{aor}@127.0.0.1:{5060 + i}", "Expires": e}} for i, e in enumerate(expires)]}}


DUMP = {"Domains": [{"Domain": {"Domain": "location", "Size": 1024, "AoRs": [
    record("1003", 3598),
    record("1001", "deleted"),
    record("1002", "expired", "permanent"),
    record("1004", 0),
], "Stats": {"Records": 4, "Max-Slots": 1}}}]}


def test_only_contacts_still_valid_count():
    assert registered_users(DUMP) == {"1003", "1002"}
    assert registered_users({"Domains": []}) == set()


def test_other_tables_and_odd_shapes_are_skipped():
    other = {"Domains": [{"Domain": {"Domain": "elsewhere", "AoRs": [record("2001", 60)]}}]}
    assert registered_users(other) == set()
    odd = {"Domains": [{"Domain": {"Domain": "location", "AoRs": [
        {"Info": {"AoR": 7, "Contacts": [{"Contact": {"Expires": 60}}]}},       # not a name
        {"Info": {"AoR": "2002", "Contacts": "none"}},
        {"Info": {"AoR": "2003", "Contacts": [{"Contact": {"Expires": True}}]}},
        "junk", None]}}]}
    assert registered_users(odd) == set()
    assert registered_users(None) == set() and registered_users([1, 2]) == set()


def test_a_thousand_phones():
    dump = {"Domains": [{"Domain": {"Domain": "location", "AoRs": [record(str(3000 + i), 3600) for i in range(1000)]}}]}
    assert len(registered_users(dump)) == 1000


def test_the_watcher_keeps_the_last_state_when_the_edge_cannot_be_read():
    answers = [DUMP, None]
    watcher = RegistrationWatcher(read=lambda: answers.pop(0))
    watcher.poll()
    assert (watcher.registered, watcher.version) == ({"1003", "1002"}, 1)
    watcher.poll()
    assert (watcher.registered, watcher.version) == ({"1003", "1002"}, 1)


def test_commands_to_the_edge_run_in_the_watchers_thread_not_the_callers():
    """The engine's loop hands commands for the edge (a reload of the trunks' addresses) to the
    watcher's thread, so kamailio's answer, however slow, never holds a call (issue 9, item 5)."""
    import threading

    watcher = RegistrationWatcher(read=lambda: None, interval=60.0)
    watcher.start()
    ran, done = [], threading.Event()
    watcher.submit(lambda: (ran.append(threading.current_thread().name), done.set()))
    assert done.wait(2.0)
    watcher.submit(lambda: 1 / 0)                  # a failing command does not end the thread
    again = threading.Event()
    watcher.submit(again.set)
    assert again.wait(2.0)
    watcher.stop()
    watcher.join(2.0)
    assert ran == ["registrations"] and not watcher.is_alive()
