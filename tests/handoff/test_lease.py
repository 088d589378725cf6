from datetime import datetime, timedelta, timezone

from tests.clock import Clock
from wismo.handoff.lease import SenderLease

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def test_one_worker_at_a_time_holds_the_slack_queue(tmp_path):
    clock = Clock(T0)
    a = SenderLease(tmp_path / "wismo.db", now=clock)
    b = SenderLease(tmp_path / "wismo.db", now=clock)  # another Rasa worker
    ttl = timedelta(seconds=15)
    assert a.take("worker-a", ttl) and not b.take("worker-b", ttl)
    clock.now += timedelta(seconds=10)
    assert a.take("worker-a", ttl)  # renewed
    clock.now += timedelta(seconds=14)
    assert not b.take("worker-b", ttl)
    clock.now += timedelta(seconds=2)  # worker a stopped renewing: b takes over
    assert b.take("worker-b", ttl) and not a.take("worker-a", ttl)
