"""Recordings' retention as a pure policy (issue 10, item 8): oldest first, by age and by disk use."""

from firmware.engine.retention import DAY, DISK_LIMIT, TOO_OLD, Kept, RetentionPolicy, percent_used, removals

NOW = 1_000 * DAY
MB = 1_000_000


def recordings(*ages_days: float, size: int = 10 * MB) -> list[Kept]:
    return [Kept(id=i, started_at=NOW - age * DAY, size=size) for i, age in enumerate(ages_days, 1)]


def test_only_recordings_older_than_the_days_kept_go_by_age():
    kept = recordings(1, 40, 31, 29, 100)
    chosen = removals(RetentionPolicy(keep_days=30, disk_percent=None), kept, NOW, used=1, free=10**12)
    assert chosen == [(5, TOO_OLD), (2, TOO_OLD), (3, TOO_OLD)]


def test_over_the_disk_limit_the_oldest_go_until_it_is_under():
    kept = recordings(5, 4, 3, 2, 1)
    # 1000 MB partition, 830 MB used: 80 % allows 800, so three 10 MB recordings go, the oldest
    chosen = removals(RetentionPolicy(keep_days=None, disk_percent=80), kept, NOW, used=830 * MB, free=170 * MB)
    assert chosen == [(1, DISK_LIMIT), (2, DISK_LIMIT), (3, DISK_LIMIT)]


def test_age_and_space_together_count_what_age_already_freed():
    kept = recordings(50, 40, 3, 2, 1)
    chosen = removals(RetentionPolicy(keep_days=30, disk_percent=80), kept, NOW, used=830 * MB, free=170 * MB)
    assert chosen == [(1, TOO_OLD), (2, TOO_OLD), (3, DISK_LIMIT)]


def test_under_the_limits_nothing_goes_and_no_limits_keep_everything():
    kept = recordings(5, 4, 3)
    assert removals(RetentionPolicy(keep_days=30, disk_percent=80), kept, NOW, used=100 * MB, free=900 * MB) == []
    assert removals(RetentionPolicy(keep_days=None, disk_percent=None), kept, NOW, used=999 * MB, free=MB) == []


def test_a_limit_caps_one_pass_and_a_disk_full_of_other_data_empties_no_more_than_the_recordings():
    kept = recordings(*range(10, 0, -1))
    assert len(removals(RetentionPolicy(disk_percent=10), kept, NOW, used=990 * MB, free=10 * MB, limit=4)) == 4
    assert len(removals(RetentionPolicy(disk_percent=10), kept, NOW, used=990 * MB, free=10 * MB)) == 10


def test_equal_start_times_go_in_id_order_and_a_broken_size_frees_nothing():
    kept = [Kept(2, NOW - DAY, 5 * MB), Kept(1, NOW - DAY, -7), Kept(3, NOW - DAY, 5 * MB)]
    chosen = removals(RetentionPolicy(disk_percent=50), kept, NOW, used=505 * MB, free=495 * MB)
    assert chosen == [(1, DISK_LIMIT), (2, DISK_LIMIT)]


def test_percent_used_is_dfs():
    assert percent_used(used=85, free=15) == 85.0
    assert percent_used(0, 0) == 0.0
