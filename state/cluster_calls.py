"""A batch's calls on a Redis Cluster: grouped by the node that owns each call's slot, one pipeline per node.

Every key of one call shares one hash tag (the sku's `{sku}`, a cart's `{cart}`, the due index's
`{holddue}`), so a call has one slot: the slot of its first key. The calls of one node keep their order
and go in one lean pipeline; every node's pipeline is written first, then the replies are read node by
node, so the nodes run their scripts at the same time (a round costs the slowest node, not the sum).
Error replies are handled per call, the other calls are not resent: NOSCRIPT loads the scripts on that
node (a node's script cache is its own, and a promoted replica's is empty), MOVED refreshes the slot
map, ASK sends the call to the node named behind ASKING, TRYAGAIN resends it. The scripts dedupe by
event id, so a call that is resent is applied once.

With `wait_replicas` (OMNISTOCK_REDIS_WAIT_REPLICAS), each node's pipeline of writes ends with
`WAIT n timeout`: same round trip, and a node whose replicas did not all acknowledge its writes in
time makes the whole call StoreUnavailable (the worker retries the batch, its offsets uncommitted).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from redis.cluster import ClusterNode, RedisCluster
from redis.crc import key_slot
from redis.exceptions import AskError, MovedError, NoScriptError, TryAgainError

from core.errors import StoreUnavailable
from state import lean_pipeline
from state.redis_calls import Request, unavailable
from state.replica_wait import NO_WAIT, ReplicaWait
from state.scripts import Scripts

ATTEMPTS = 3
Route = ClusterNode | None  # the node an ASK named; None: the node of the slot map


class ClusterScriptRunner:
    """ScriptRunner's contract (each request's reply, error replies in their place) on a cluster."""

    def __init__(self, client: RedisCluster, wait: ReplicaWait = NO_WAIT) -> None:
        self._client = client
        self._scripts = Scripts()  # a script's SHA is the same on every node
        self._stale = False  # a node was out of reach: the slot map is read again before the next calls
        self._wait = wait

    def run(self, requests: list[Request]) -> list[Any]:
        return self._run(requests, self._wait)

    def read(self, commands: list[lean_pipeline.Command]) -> list[Any]:
        """The replies of plain single-key commands; the first error reply raised, as a Pipeline does."""
        replies = self._run([(f"!{command[0]!s}", command[1:]) for command in commands], NO_WAIT)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    def _run(self, requests: list[Request], wait: ReplicaWait) -> list[Any]:
        replies: list[Any] = [None] * len(requests)
        pending: dict[int, Route] = dict.fromkeys(range(len(requests)))
        for _attempt in range(ATTEMPTS):
            try:
                with unavailable():
                    if self._stale:
                        self._client.nodes_manager.initialize()
                        self._stale = False
                    pending = self._round(requests, pending, replies, wait)
            except StoreUnavailable:
                self._stale = True  # a failover promotes a replica elsewhere: the worker's retry finds it
                raise
            if not pending:
                return replies
        raise StoreUnavailable("cluster calls still redirected", calls=len(pending))

    def _round(
        self, requests: list[Request], pending: dict[int, Route], replies: list[Any], wait: ReplicaWait
    ) -> dict[int, Route]:
        """Sends the pending calls, one pipeline per node, all written before any is read; returns
        the calls to send again."""
        groups: dict[str, tuple[ClusterNode, list[int]]] = {}
        for i, route in pending.items():
            node = route or self._node_of(requests[i])
            groups.setdefault(node.name, (node, []))[1].append(i)
        retry: dict[int, Route] = {}
        reload: list[ClusterNode] = []
        short: list[StoreUnavailable] = []
        with ExitStack() as held:  # a failure on any node drops every connection not read to the end
            sent = []
            for node, calls in groups.values():
                client = self._client.get_redis_connection(node)
                asking = [pending[i] is not None for i in calls]
                commands = _commands(requests, calls, self._scripts.shas(client), asking)
                commands.extend(wait.commands)
                connection = held.enter_context(lean_pipeline.held(client))
                lean_pipeline.send(connection, commands)
                sent.append((node, calls, asking, connection, len(commands)))
            for node, calls, asking, connection, count in sent:
                answers, waited = wait.split(lean_pipeline.receive(connection, count))
                missing = wait.shortfall(waited, node.name)
                if missing is not None:
                    short.append(missing)  # raised once every node's replies are read (connections in step)
                for i, answer in zip(calls, _without_asking(answers, asking), strict=True):
                    replies[i] = answer
                    if isinstance(answer, NoScriptError | TryAgainError | MovedError | AskError):
                        retry[i] = self._route(answer, node, pending[i])
                if any(isinstance(replies[i], NoScriptError) for i in calls):
                    reload.append(node)
        if short:
            raise short[0]
        for node in reload:
            self._scripts.load(self._client.get_redis_connection(node))
        if any(isinstance(replies[i], MovedError) for i in retry):
            self._client.nodes_manager.initialize()
        return retry

    def _node_of(self, request: Request) -> ClusterNode:
        name, args = request
        key = args[0] if name.startswith("!") else args[1]  # a script's args: numkeys, keys..., args...
        return self._client.nodes_manager.get_node_from_slot(key_slot(str(key).encode()))

    def _route(self, answer: Exception, node: ClusterNode, route: Route) -> Route:
        if isinstance(answer, AskError):
            target = self._client.nodes_manager.get_node(answer.host, answer.port)
            if target is None:
                raise StoreUnavailable("ASK named an unknown node", node=f"{answer.host}:{answer.port}")
            return target
        return route if isinstance(answer, NoScriptError | TryAgainError) else None


def _commands(
    requests: list[Request], calls: list[int], shas: dict[str, str], asking: list[bool]
) -> list[lean_pipeline.Command]:
    commands: list[lean_pipeline.Command] = []
    for i, ask in zip(calls, asking, strict=True):
        name, args = requests[i]
        if ask:
            commands.append(("ASKING",))
        commands.append((name[1:], *args) if name.startswith("!") else ("EVALSHA", shas[name], *args))
    return commands


def _without_asking(answers: list[Any], asking: list[bool]) -> list[Any]:
    """The calls' replies, without the OK of each ASKING sent before a call."""
    if not any(asking):
        return answers
    found, position = [], 0
    for ask in asking:
        position += 1 if ask else 0
        found.append(answers[position])
        position += 1
    return found
