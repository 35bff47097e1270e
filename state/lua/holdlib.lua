-- Prepended after common.lua to the hold, alloc, expire and reconcile scripts: hold and allocation
-- records, reservations on a location or on the network (`|nrs`), and the reply's figures.
-- Holds: hash cart_id -> "<loc>|<qty>|<expiry_ms>" (loc '' = network-level) and a zset cart_id by expiry.
-- Allocations: hash "<#order_id>:<order_id><line_id>" -> "<loc>|<open qty>".
local function parse_hold(raw)
  if not raw then return nil end
  local loc, q, e = string.match(raw, '^([^|]*)|(%d+)|(-?%d+)$')
  return {loc = loc, q = tonumber(q), exp = tonumber(e)}
end

local function parse_alloc(raw)
  if not raw then return nil end
  local loc, q = string.match(raw, '^([^|]*)|(%d+)$')
  return {loc = loc, q = tonumber(q)}
end

-- The final figures of each touched location, in order of first touch.
local function new_figs() return {order = {}, by = {}} end

local function record(figs, loc, fig)
  if not figs.by[loc] then figs.order[#figs.order + 1] = loc end
  figs.by[loc] = fig
end

local function emit(out, figs)
  for _, loc in ipairs(figs.order) do
    out[#out + 1] = loc
    for i = 1, 6 do out[#out + 1] = figs.by[loc][i] end
  end
  return out
end

-- Changes a hold's reservation by d: on the network, or on a location with the given settings
-- (s nil: the settings stored at its last write, for releases).
local function reserve(figs, loc, d, s)
  if loc == '' then
    if d ~= 0 then redis.call('HINCRBY', KEYS[1], SEP .. 'nrs', d) end
  elseif s == nil then
    record(figs, loc, retouch(loc, d, 0))
  else
    record(figs, loc, touch(loc, s, 0, 0, d, 0))
  end
end

-- What a new hold or allocation may take at a location: its ATP now less the units it keeps for
-- walk-in customers and, for a location that serves online, no more than the network's (network-level
-- holds are claims on that pool); a walk-in channel (walk_in 1) may also take the kept units.
-- Also returns the location's figures as loaded, for a touch() that follows without another read.
local function available(loc, s, walk_in)
  local f = load_figures(loc)
  local atp = math.max(0, f[OH] - f[RS] - f[AL] - safety(f, s.ss))
  local kept = math.min(atp, s.pp)
  local online = atp - kept
  if s.on == 1 then online = math.min(online, net_atp()) end
  if walk_in == 1 then return online + kept, f end
  return online, f
end

local function min_expiry(exps)
  local top = redis.call('ZRANGE', exps, 0, 0, 'WITHSCORES')
  if top[2] then return tonumber(top[2]) end
  return -1
end

-- The sku's hold generation: every change of its holds bumps it; the due index keeps the newest.
local function bump() return redis.call('HINCRBY', KEYS[1], SEP .. 'hg', 1) end

local function put_hold(holds, exps, cart, loc, q, exp)
  redis.call('HSET', holds, cart, loc .. SEP .. fmt(q) .. SEP .. fmt(exp))
  redis.call('ZADD', exps, fmt(exp), cart)
end

local function drop_hold(holds, exps, cart)
  redis.call('HDEL', holds, cart)
  redis.call('ZREM', exps, cart)
end
