"""The failover scenario's steps: workers on a Redis Cluster with a replica per master, and a master
killed (SIGKILL) while they apply: its replica is promoted, the old master comes back as its replica."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.harness import NETWORK
from tests.support.redis_cluster import Cluster
from tests.support.workers import Workers

NODE_TIMEOUT_MS = 1000  # a silent master is failed after 1 s (15 s is Redis's default)


def cluster_workers(bootstrap: str, cluster: Cluster, log_dir: Path, **settings: str) -> Workers:
    """Workers of one group on the cluster (not started yet); `settings` as OMNISTOCK_<NAME>."""
    workers = Workers(bootstrap, cluster.url, log_dir)
    workers.env["OMNISTOCK_NETWORK_FILE"] = str(NETWORK)
    workers.env["OMNISTOCK_REDIS_CLUSTER"] = "true"
    workers.env |= {"OMNISTOCK_" + name.upper(): value for name, value in settings.items()}
    return workers


@dataclass
class Failover:
    """Kills master `index`, waits for its replica's promotion, restarts the old master (it rejoins as
    the new master's replica: with WAIT 1, the shard's writes wait for it)."""

    cluster: Cluster
    index: int
    promoted_s: float | None = None
    replica_back_s: float | None = None
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        victim, heir = self.cluster.masters[self.index], self.cluster.replicas[self.index][0]
        started = time.monotonic()
        try:
            victim.kill()
            self.promoted_s = self.cluster.wait_promoted(heir)
            victim.start()
            while not (victim.role() == "slave" and victim.synced()):
                if time.monotonic() - started > 60:
                    raise RuntimeError(f"the old master did not come back as a replica: {victim.log_tail()}")
                time.sleep(0.1)
            self.replica_back_s = time.monotonic() - started
        except Exception as error:  # reported by the test, which fails on it
            self.errors.append(repr(error))

    def note(self) -> str:
        promoted = (
            "not promoted" if self.promoted_s is None else f"replica promoted in {self.promoted_s:.1f} s"
        )
        back = (
            ""
            if self.replica_back_s is None
            else f", old master a replica again at {self.replica_back_s:.1f} s"
        )
        return promoted + back
