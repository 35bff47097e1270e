"""Why an option looks as it does: the nodes and pickup points it passed over, and its labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.promise_types import CHEAPEST, FASTEST, GREENEST, PromiseOption, Verdict
from core.sourcing import Plan, Quote


def label(options: Sequence[PromiseOption]) -> tuple[PromiseOption, ...]:
    """Mark the cheapest, fastest and greenest options (every option tied for the best)."""
    if not options:
        return ()
    cheapest = min(option.price_cents for option in options)
    fastest = min(option.earliest for option in options)
    greenest = min(option.co2e_grams for option in options)
    return tuple(
        replace(
            option,
            labels=tuple(
                name
                for name, best in (
                    (CHEAPEST, option.price_cents == cheapest),
                    (FASTEST, option.earliest == fastest),
                    (GREENEST, option.co2e_grams == greenest),
                )
                if best
            ),
        )
        for option in options
    )


def plan_verdicts(
    plan: Plan, quotes: Sequence[Quote], refused: Sequence[Verdict], full: int
) -> tuple[Verdict, ...]:
    """One verdict per node: chosen, or why it lost; by location id."""
    chosen = {quote.location_id: lines for quote, lines in zip(plan.quotes, plan.lines, strict=True)}
    verdicts = list(refused)
    for quote in quotes:
        verdicts.append(Verdict(quote.location_id, _reason(quote, chosen, plan, full)))
    return tuple(sorted(verdicts, key=lambda verdict: verdict.location_id))


def _reason(quote: Quote, chosen: dict[str, tuple[int, ...]], plan: Plan, full: int) -> str:
    if quote.location_id in chosen:
        return f"chosen: ships {len(chosen[quote.location_id])} line(s)"
    when = quote.earliest.strftime("%Y-%m-%dT%H:%MZ")
    if quote.mask != full:
        return f"has the ATP for {quote.mask.bit_count()} of {full.bit_length()} lines; not in the best plan"
    alone = quote.parcel_cents + quote.pick_cents * full.bit_length()
    if len(plan.quotes) == 1 and alone > plan.cost_cents:
        return f"could ship it all but costs {alone} cents against {plan.cost_cents}"
    return f"could ship it all, earliest {when}; another node is earlier or cheaper"


def point_verdicts(best: PromiseOption, others: Sequence[PromiseOption]) -> tuple[Verdict, ...]:
    """Why the other pickup points (relay points, stores) were not the one offered."""
    when = best.earliest.strftime("%Y-%m-%dT%H:%MZ")
    return tuple(
        Verdict(
            other.pickup_location_id or "",
            f"pickup point ready {other.earliest.strftime('%Y-%m-%dT%H:%MZ')}, "
            + (f"later than {when}" if other.earliest > best.earliest else "farther away"),
        )
        for other in others
    )
