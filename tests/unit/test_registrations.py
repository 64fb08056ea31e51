"""Reading the edge's registrations: kamailio's ul.dump as kamcmd prints it."""

from firmware.edge.registrations import RegistrationWatcher, registered_users

DUMP = """{
	Domains: {
		Domain: {
			Domain: location
			AoRs: {
				Info: {
					AoR: 1003
					Contacts: {
						Contact: {
							Address: sip:1003@127.0.0.1:50233
							Expires: 3598
						}
					}
				}
				Info: {
					AoR: 1001
					Contacts: {
						Contact: {
							Address: sip:1001@127.0.0.1:45717;transport=UDP
							Expires: deleted
						}
					}
				}
				Info: {
					AoR: 1002
					Contacts: {
						Contact: {
							Address: sip:1002@10.0.0.9:5060
							Expires: expired
						}
						Contact: {
							Address: sip:1002@10.0.0.9:5062
							Expires: permanent
						}
					}
				}
			}
		}
	}
}"""


def test_only_contacts_still_valid_count():
    assert registered_users(DUMP) == {"1003", "1002"}
    assert registered_users("{\n\tDomains: {\n\t}\n}") == set()


def test_the_watcher_keeps_the_last_state_when_the_edge_cannot_be_read():
    answers = [DUMP, None]
    watcher = RegistrationWatcher(read=lambda: answers.pop(0))
    watcher.poll()
    assert (watcher.registered, watcher.version) == ({"1003", "1002"}, 1)
    watcher.poll()
    assert (watcher.registered, watcher.version) == ({"1003", "1002"}, 1)
