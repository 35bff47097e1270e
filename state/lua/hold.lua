-- SetHold (SET), ReleaseHold (RELEASE) and one sku's part of RenewCart (RENEW).
-- KEYS: stock, nb dedupe buckets, holds hash, hold expiry zset.
-- ARGV: event_id, now_ms, dedupe_ttl_ms, nb, op, cart_id, location_id ('' = network), quantity,
--       ttl_ms, default_safety_stock, serves_online (0/1), online_protection, walk_in channel (0/1).
-- Reply: {outcome, network_atp, granted, hold_gen (0: holds unchanged), min_expiry (-1: none),
--         then per touched location: location_id, oh, it, rs, al, ss, atp}.
local eid = event_key(ARGV[1])
local now = int(ARGV[2], 'now_ms')
local ttl = nonneg(ARGV[3], 'dedupe_ttl_ms')
local nb = nonneg(ARGV[4], 'dedupe_buckets')
if #KEYS ~= 3 + nb or #ARGV ~= 13 then invalid('arity', #KEYS .. '/' .. #ARGV) end
local op, cart = ARGV[5], ARGV[6]
if op ~= 'SET' and op ~= 'RELEASE' and op ~= 'RENEW' then invalid('op', op) end
if cart == '' then invalid('cart_id', cart) end
local loc = ARGV[7]
if loc ~= '' then location(loc) end
local q = nonneg(ARGV[8], 'quantity')
local hold_ttl = nonneg(ARGV[9], 'ttl_ms')
local s, walk_in = settings(10), flag(ARGV[13], 'walk_in')
local holds, exps = KEYS[2 + nb], KEYS[3 + nb]

local old = parse_hold(redis.call('HGET', holds, cart))
-- A renewal of a sku the cart does not hold (a stale cart-index entry) is not recorded.
if op == 'RENEW' and not old then return {NOT_FOUND, net_atp(), 0, 0, -1} end
local figs = new_figs()
local function reply(outcome, granted, gen)
  local e = -1
  if gen > 0 then e = min_expiry(exps) end
  return emit({outcome, net_atp(), granted, gen, e}, figs)
end
if seen(nb, eid) then
  if old then return reply(DUPLICATE, old.q, 0) end
  return reply(DUPLICATE, 0, 0)
end
remember(eid, ttl)
if op ~= 'SET' then
  if not old then return reply(NOT_FOUND, 0, 0) end  -- a release of nothing
  if op == 'RENEW' then
    put_hold(holds, exps, cart, old.loc, old.q, now + hold_ttl)
    -- an earlier expiry (a cleared cart: TTL 0) must reach the due index; a later one need not
    -- (an early due entry only costs a visit)
    if now + hold_ttl < old.exp then return reply(APPLIED, old.q, bump()) end
    return reply(APPLIED, old.q, 0)
  end
  reserve(figs, old.loc, -old.q, nil)
  drop_hold(holds, exps, cart)
  return reply(APPLIED, 0, bump())
end

local held = 0
if old and old.loc ~= loc then
  reserve(figs, old.loc, -old.q, nil)  -- the line moved: released where it was
elseif old then
  held = old.q
end
local granted = q
if q > held then
  local free
  if loc == '' then free = net_atp() else free = available(loc, s, walk_in) end
  granted = held + math.min(q - held, free)
end
reserve(figs, loc, granted - held, s)
if granted == 0 then drop_hold(holds, exps, cart) else put_hold(holds, exps, cart, loc, granted, now + hold_ttl) end
local outcome = APPLIED
if granted == 0 and q > 0 then outcome = REFUSED elseif granted < q then outcome = TRIMMED end
return reply(outcome, granted, bump())
