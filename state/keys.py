"""Key builders of the stock table: every key of one sku shares the `{sku}` hash tag (Redis Cluster)."""

from __future__ import annotations

# Fields of the stock hash (state/lua/common.lua): per location ONE field named by the location id,
# "oh,it,rs,al,ss,atp,on,ds,pp" (ss empty: the network's default applies); network aggregates and other
# fields are f"{location_id}{SEP}{name}" with the empty id for the network ("|oh", "|nrs") or the
# location's ("WH1|ct"), so a location id must not contain SEP (the scripts refuse it).
SEP = "|"


def stock(prefix: str, sku: str) -> str:
    """The hash of one sku: the figures per location and the network aggregates (one read per sku)."""
    return f"{prefix}stock:{{{sku}}}"


def dedupe_base(prefix: str, sku: str) -> str:
    """Prefix of the sku's time-bucketed dedupe hashes; the bucket number is appended (`dedupe`)."""
    return f"{prefix}dd:{{{sku}}}:"


def dedupe(prefix: str, sku: str, bucket: int) -> str:
    return f"{dedupe_base(prefix, sku)}{bucket}"


def delta_log(prefix: str, sku: str, location_id: str) -> str:
    """Sorted set of the on-hand deltas applied at one location, scored by occurred_at ms (for counts)."""
    return f"{prefix}ohlog:{{{sku}}}:{location_id}"


def transfers(prefix: str, sku: str) -> str:
    """Hash transfer_id -> the steps seen of that transfer for this sku."""
    return f"{prefix}xfer:{{{sku}}}"


def transfers_closed(prefix: str, sku: str) -> str:
    """Sorted set of closed transfer ids scored by the arrival ms that closed them (for pruning)."""
    return f"{prefix}xferdone:{{{sku}}}"


def holds(prefix: str, sku: str) -> str:
    """Hash cart_id -> "<location_id>|<quantity>|<expiry ms>" (location "" = a network-level hold)."""
    return f"{prefix}hold:{{{sku}}}"


def hold_expiry(prefix: str, sku: str) -> str:
    """Sorted set of the sku's carts scored by their hold's expiry ms."""
    return f"{prefix}holdexp:{{{sku}}}"


def allocations(prefix: str, sku: str) -> str:
    """Hash "<len(order_id)>:<order_id><line_id>" -> "<location_id>|<open quantity>"."""
    return f"{prefix}alloc:{{{sku}}}"


def cart(prefix: str, cart_id: str) -> str:
    """Set of the skus a cart holds (a hint for renewals; in the cart's own slot, not the sku's)."""
    return f"{prefix}cart:{{{cart_id}}}"


def due(prefix: str) -> str:
    """Sorted set sku -> earliest hold expiry: the skus `expire_holds` visits. NOT sku-tagged: one key
    for the table (with `due_generations`, in the `{holddue}` slot), written after the sku scripts."""
    return f"{prefix}{{holddue}}"


def due_generations(prefix: str) -> str:
    return f"{prefix}{{holddue}}:gen"
