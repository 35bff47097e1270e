-- Allocate (ALLOCATE; BACKORDER: refused unless the sku allows backorder), ShipAllocation (SHIP) and
-- ReleaseAllocation (RELEASE) of one order line.
-- KEYS: stock, nb dedupe buckets, allocations hash, holds hash, hold expiry zset, delta log of location.
-- ARGV: event_id, now_ms, occurred_at_ms, dedupe_ttl_ms, count_window_ms, nb, op, order_id, line_id,
--       location_id ('' for RELEASE), quantity, cart_id ('' none), default_safety_stock, serves_online,
--       online_protection, walk_in channel (0/1).
-- Reply as hold.lua's; granted = the line's open allocation after the command.
local eid = event_key(ARGV[1])
int(ARGV[2], 'now_ms')
local t = int(ARGV[3], 'occurred_at_ms')
local ttl = nonneg(ARGV[4], 'dedupe_ttl_ms')
local window = nonneg(ARGV[5], 'count_window_ms')
local nb = nonneg(ARGV[6], 'dedupe_buckets')
if #KEYS ~= 5 + nb or #ARGV ~= 16 then invalid('arity', #KEYS .. '/' .. #ARGV) end
local op, order, line = ARGV[7], ARGV[8], ARGV[9]
if op ~= 'ALLOCATE' and op ~= 'BACKORDER' and op ~= 'SHIP' and op ~= 'RELEASE' then invalid('op', op) end
if order == '' then invalid('order_id', order) end
local loc = ARGV[10]
if op ~= 'RELEASE' then location(loc) end
local q = nonneg(ARGV[11], 'quantity')
local cart = ARGV[12]
local s, walk_in = settings(13), flag(ARGV[16], 'walk_in')
local allocs, holds, exps, log = KEYS[2 + nb], KEYS[3 + nb], KEYS[4 + nb], KEYS[5 + nb]

local field = #order .. ':' .. order .. line
local a = parse_alloc(redis.call('HGET', allocs, field))
local figs = new_figs()
local function reply(outcome, gen)
  local now_a, e = parse_alloc(redis.call('HGET', allocs, field)), -1
  if gen > 0 then e = min_expiry(exps) end
  local open = 0
  if now_a then open = now_a.q end
  return emit({outcome, net_atp(), open, gen, e}, figs)
end
if seen(nb, eid) then return reply(DUPLICATE, 0) end
remember(eid, ttl)

if op == 'RELEASE' then
  if not a then return reply(NOT_FOUND, 0) end
  record(figs, a.loc, retouch(a.loc, 0, -a.q))
  redis.call('HDEL', allocs, field)
  return reply(APPLIED, 0)
end

if op == 'SHIP' then
  local logged = log_delta(log, loc, t, -q, window)
  local taken, here = 0, false
  if a then taken, here = math.min(q, a.q), a.loc == loc end
  if a and not here then record(figs, a.loc, retouch(a.loc, 0, -taken)) end
  local d_oh, d_al = 0, 0
  if logged then d_oh = -q end
  if here then d_al = -taken end
  record(figs, loc, touch(loc, s, d_oh, 0, 0, d_al))
  if a and a.q == taken then
    redis.call('HDEL', allocs, field)
  elseif a then
    redis.call('HSET', allocs, field, a.loc .. SEP .. fmt(a.q - taken))
  end
  return reply(APPLIED, 0)
end

if a then return reply(DUPLICATE, 0) end  -- the line is allocated already (another event id)
local backorder = redis.call('HGET', KEYS[1], SEP .. 'bo') == '1'
-- a backorder is one because nothing can serve the line: never where the sku does not allow it, even
-- if the units are there (the line is unroutable, not "backordered" on stock it could have had)
if op == 'BACKORDER' and not backorder then return {REFUSED, net_atp(), 0, 0, -1} end
local h = nil
if cart ~= '' then h = parse_hold(redis.call('HGET', holds, cart)) end
if h then reserve(figs, h.loc, -h.q, nil) end  -- taken over: its units count as available here
local free, f = available(loc, s, walk_in)
if q > free and not backorder then
  if h then reserve(figs, h.loc, h.q, nil) end
  return {REFUSED, net_atp(), 0, 0, -1}
end
local gen = 0
if h then
  drop_hold(holds, exps, cart)
  gen = bump()
end
record(figs, loc, touch(loc, s, 0, 0, 0, q, f))  -- f: loaded by available(), unchanged since
redis.call('HSET', allocs, field, loc .. SEP .. fmt(q))
return reply(APPLIED, gen)
