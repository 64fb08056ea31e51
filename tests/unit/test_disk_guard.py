"""The data partition's guard on a real store and real files (issue 10, item 8): retention removes the
oldest recordings' files and keeps their rows; the disk-full alarm (ACD15) rises past the threshold,
through the engine's alarm book into the alarms table the notifier reads, and clears below it."""

import shutil
import time
from collections import namedtuple

import pytest

from firmware.engine.alarm_book import AlarmBook
from firmware.engine.disk_guard import ALARM, CHECK_INTERVAL, SUBJECT, DiskGuard
from firmware.engine.retention import DISK_LIMIT, TOO_OLD
from firmware.store import open_store, queries

MB = 1_000_000
Usage = namedtuple("Usage", "total used free")


class Partition:
    """A 1000 MB data partition whose use is `other` plus the recordings' files really on disk."""

    def __init__(self, data_dir, other: int):
        self.data_dir, self.other = data_dir, other

    def __call__(self, path):
        assert path == self.data_dir
        files = sum(f.stat().st_size for f in (self.data_dir / "recordings").rglob("*.wav"))
        used = self.other + files * MB          # a byte written in the test stands for a megabyte
        return Usage(1000 * MB, used, 1000 * MB - used)


@pytest.fixture
def box(tmp_path):
    store = open_store(tmp_path / "callbox.db")
    alarms = AlarmBook(store)
    partition = Partition(tmp_path, other=700 * MB)
    guard = DiskGuard(store, alarms, tmp_path, usage=partition)
    yield store, guard, partition, alarms
    store.close()


def record(store, data_dir, days_ago: float, size_mb: int) -> tuple[int, int]:
    """A finished call with a recording of `size_mb` (stand-in) megabytes: (call id, recording id)."""
    started = time.time() - days_ago * 86400
    call_id = queries.open_call(store, "100", "200", started_at=started)
    relative = f"recordings/2026/12/01/call-{call_id}.wav"
    (data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / relative).write_bytes(b"x" * size_mb)
    recording_id = queries.add_recording(store, call_id, relative, started_at=started)
    queries.finish_recording(store, recording_id, 60.0, size_mb * MB)
    queries.update_call(store, call_id, recording_id=recording_id)
    return call_id, recording_id


def test_over_the_limit_the_oldest_files_go_and_the_calls_keep_saying_they_were_recorded(box, tmp_path):
    store, guard, partition, _ = box
    made = [record(store, tmp_path, days, 40) for days in (3, 9, 1, 5)]      # 700 + 160 = 860 MB: 86 %
    guard.check(time.monotonic())
    removed = {r["id"]: r for r in store.execute("SELECT * FROM recordings WHERE removed_at IS NOT NULL")}
    # 80 % allows 800 MB: the two oldest (9 and 5 days) go
    assert set(removed) == {made[1][1], made[3][1]}
    assert all(r["removed_reason"] == DISK_LIMIT for r in removed.values())
    for call_id, recording_id in made:
        call = queries.get_call(store, call_id)
        assert call["recording_id"] == recording_id, "the CDR keeps its recording"
        path = tmp_path / queries.get_recording(store, recording_id)["path"]
        assert path.exists() == (recording_id not in removed)
    assert partition(tmp_path).used == 780 * MB
    assert queries.open_alarms(store) == [], "retention kept the partition under the alarm's threshold"


def test_recordings_older_than_the_days_kept_go(box, tmp_path):
    store, guard, _, _ = box
    queries.set_setting(store, "recordings_keep_days", "30")
    old = record(store, tmp_path, 45, 1)
    young = record(store, tmp_path, 2, 1)
    guard.check(time.monotonic())
    assert queries.get_recording(store, old[1])["removed_reason"] == TOO_OLD
    assert queries.get_recording(store, young[1])["removed_at"] is None


def test_the_disk_full_alarm_rises_past_85_percent_and_clears_below_80(box, tmp_path):
    store, guard, partition, alarms = box
    queries.set_setting(store, "recordings_disk_percent", "off")      # nothing to free: the alarm must speak
    partition.other = 860 * MB
    now = time.monotonic()
    guard.check(now)
    (alarm,) = queries.open_alarms(store)
    assert (alarm["name"], alarm["subject"]) == (ALARM, SUBJECT)
    assert alarm["detail"] == "data partition 86% full, 140 MB free"
    assert alarms.describe() == [{"name": ALARM, "subject": SUBJECT, "detail": alarm["detail"]}]
    partition.other = 820 * MB                                         # 82 %: still raised (hysteresis)
    guard.check(now + 1)
    assert len(queries.open_alarms(store)) == 1, "not checked again before the interval"
    guard.check(now + CHECK_INTERVAL)
    assert len(queries.open_alarms(store)) == 1
    partition.other = 790 * MB
    guard.check(now + 2 * CHECK_INTERVAL)
    assert queries.open_alarms(store) == []
    (cleared,) = queries.list_alarms(store)
    assert cleared["cleared_at"] is not None and cleared["raise_sent_at"] is None, "the notifier still sends both"


def test_the_alarms_threshold_is_a_setting(box):
    store, guard, partition, _ = box
    queries.set_setting(store, "disk_alarm_percent", "70")
    queries.set_setting(store, "recordings_disk_percent", "off")
    partition.other = 720 * MB
    guard.check(time.monotonic())
    assert [a["name"] for a in queries.open_alarms(store)] == [ALARM]


@pytest.mark.parametrize("raw", ["", "off", "eighty", "-5", "85.5", "100", "８５", "0x50", "1e2"])
def test_a_stored_setting_that_is_not_a_whole_number_in_range_reads_as_the_default(box, raw):
    store, guard, partition, _ = box
    queries.set_setting(store, "disk_alarm_percent", raw)
    queries.set_setting(store, "recordings_disk_percent", "off")
    partition.other = 840 * MB
    guard.check(time.monotonic())
    assert queries.open_alarms(store) == [], "84 % is under the default 85 %"


def test_a_row_pointing_outside_the_data_directory_removes_no_file_there(box, tmp_path):
    store, guard, partition, _ = box
    outside = tmp_path.parent / f"{tmp_path.name}-outside.wav"
    outside.write_bytes(b"keep")
    call_id = queries.open_call(store, "100", "200", started_at=time.time() - 99 * 86400)
    recording_id = queries.add_recording(store, call_id, f"../{outside.name}", started_at=time.time() - 99 * 86400)
    queries.finish_recording(store, recording_id, 1.0, 4)
    queries.set_setting(store, "recordings_keep_days", "30")
    guard.check(time.monotonic())
    assert outside.exists()
    assert queries.get_recording(store, recording_id)["removed_reason"] == TOO_OLD
    outside.unlink()


def test_the_real_disk_usage_is_read_by_default(tmp_path):
    store = open_store(tmp_path / "callbox.db")
    guard = DiskGuard(store, AlarmBook(store), tmp_path)
    assert guard.usage is shutil.disk_usage
    guard.check(time.monotonic())
    store.close()


def test_the_notices_word_the_disk_alarm_in_every_language(box):
    from firmware.notify import texts

    store, guard, partition, _ = box
    queries.set_setting(store, "recordings_disk_percent", "off")
    partition.other = 900 * MB
    guard.check(time.monotonic())
    (alarm,) = queries.open_alarms(store)
    assert texts.detail(alarm, "de") == "Datenpartition zu 90 % belegt, 100 MB frei"
    assert texts.alarm_name(alarm["name"], "sv") == "datapartitionen nästan full"
    assert texts.detail(alarm, "en") == alarm["detail"]
