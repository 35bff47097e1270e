-- Prepended to every stock script: validation, dedupe, the delta log and the figures of a location.
-- KEYS[1] is always the sku's stock hash. Numbers are passed as strings and checked before any write.
local SEP = '|'
local APPLIED, DUPLICATE, INSIDE_COUNT, STALE_COUNT, TOO_LATE = 0, 1, 2, 3, 4
local REFUSED, TRIMMED, EXPIRED, NOT_FOUND = 5, 6, 7, 8

local function invalid(what, value)
  error({err = 'INVALID ' .. what .. ': ' .. tostring(value)})
end

local function int(v, what)
  local n = tonumber(v)
  if n == nil or n ~= math.floor(n) or n ~= n or math.abs(n) > 9007199254740991 then invalid(what, v) end
  return n
end

local function nonneg(v, what)
  local n = int(v, what)
  if n < 0 then invalid(what, v) end
  return n
end

local function flag(v, what)
  if v ~= '0' and v ~= '1' then invalid(what, v) end
  return tonumber(v)
end

local function location(v)
  if v == nil or v == '' or string.find(v, SEP, 1, true) then invalid('location_id', v) end
  return v
end

local function fmt(n) return string.format('%d', n) end

-- Dedupe: KEYS[2 .. 1 + nb] are the sku's dedupe buckets, KEYS[2] the current one (by arrival time).
local function event_key(event_id)
  if event_id == '' then invalid('event_id', event_id) end
  if #event_id > 40 then return redis.sha1hex(event_id) end  -- keeps the bucket hash listpack-encoded
  return event_id
end

local function seen(nb, eid)
  for i = 2, 1 + nb do
    if redis.call('HEXISTS', KEYS[i], eid) == 1 then return true end
  end
  return false
end

local function remember(eid, ttl_ms)
  redis.call('HSET', KEYS[2], eid, '')
  redis.call('PEXPIRE', KEYS[2], ttl_ms)
end

-- Network ATP: the sum of the online locations' ATP minus the network-level holds, never below 0.
local function net_atp()
  local v = redis.call('HMGET', KEYS[1], SEP .. 'atp', SEP .. 'nrs')
  return math.max(0, (tonumber(v[1]) or 0) - (tonumber(v[2]) or 0))
end

local NET = {'oh', 'it', 'rs', 'al', 'atp'}
local function add_net(d)
  for i = 1, 5 do
    if d[i] ~= 0 then redis.call('HINCRBY', KEYS[1], SEP .. NET[i], d[i]) end
  end
end

-- The settings of one touched location as the worker passes them (ARGV from index i): default
-- safety stock, serves_online (0/1), online protection (units kept for walk-in customers).
local function settings(i)
  return {ss = nonneg(ARGV[i], 'safety_stock'), on = flag(ARGV[i + 1], 'serves_online'),
    pp = nonneg(ARGV[i + 2], 'online_protection')}
end

-- One location's figures are ONE field of the stock hash, named by the location id:
-- "oh,it,rs,al,ss,atp,on,ds,pp" (ss empty: no override of the safety stock). Network-level fields
-- start with SEP and per-location extras (the count time) are "<location>|ct", so a field without SEP
-- is a location. One field, not nine, per location: a sku's HGETALL (every routing and API read) is
-- that much smaller, and a write is one HGET and one HSET.
local OH, IT, RS, AL, SS, ATP, ON, DS, PP = 1, 2, 3, 4, 5, 6, 7, 8, 9
local NO_OVERRIDE = -1

local function load_figures(loc)
  local f = {0, 0, 0, 0, NO_OVERRIDE, 0, 0, 0, 0}
  local v = redis.call('HGET', KEYS[1], loc)
  if v then
    local i = 1
    for part in string.gmatch(v .. ',', '([^,]*),') do
      if part ~= '' then f[i] = tonumber(part) end
      i = i + 1
    end
  end
  return f
end

local function save_figures(loc, f)
  local ss = ''
  if f[SS] ~= NO_OVERRIDE then ss = fmt(f[SS]) end
  redis.call('HSET', KEYS[1], loc, fmt(f[OH]) .. ',' .. fmt(f[IT]) .. ',' .. fmt(f[RS]) .. ',' .. fmt(f[AL])
    .. ',' .. ss .. ',' .. fmt(f[ATP]) .. ',' .. fmt(f[ON]) .. ',' .. fmt(f[DS]) .. ',' .. fmt(f[PP]))
end

-- The safety stock that applies: the override, else `default`.
local function safety(f, default)
  if f[SS] ~= NO_OVERRIDE then return f[SS] end
  return default
end

-- Applies on-hand, in-transit, reserved and allocated changes to one location, recomputes its ATP
-- and keeps the network aggregates (sums over the locations flagged online; the ATP sum is of online
-- ATP, max(0, atp - protection)) in step. The settings used are kept (`ds`, `pp`) for releases and
-- expiry, which do not know the location's settings. `f`: the location's figures when the caller has
-- loaded them already (changed or not, they are saved). Returns {oh, it, rs, al, ss, atp}.
local function touch(loc, s, d_oh, d_it, d_rs, d_al, f)
  d_rs, d_al, f = d_rs or 0, d_al or 0, f or load_figures(loc)
  local oh0, it0, rs0, al0 = f[OH], f[IT], f[RS], f[AL]
  local ss = safety(f, s.ss)
  local atp0, on0, pp0 = f[ATP], f[ON], f[PP]
  local oh, it, rs, al = oh0 + d_oh, it0 + d_it, rs0 + d_rs, al0 + d_al
  local atp = math.max(0, oh - rs - al - ss)
  local oatp0, oatp = math.max(0, atp0 - pp0), math.max(0, atp - s.pp)
  f[OH], f[IT], f[RS], f[AL], f[ATP], f[ON], f[DS], f[PP] = oh, it, rs, al, atp, s.on, s.ss, s.pp
  save_figures(loc, f)
  if on0 == 1 and s.on == 1 then
    add_net({d_oh, d_it, d_rs, d_al, oatp - oatp0})
  else
    if on0 == 1 then add_net({-oh0, -it0, -rs0, -al0, -oatp0}) end
    if s.on == 1 then add_net({oh, it, rs, al, oatp}) end
  end
  return {oh, it, rs, al, ss, atp}
end

-- touch with the settings and online flag stored at the location's last write.
local function retouch(loc, d_rs, d_al)
  local f = load_figures(loc)
  return touch(loc, {ss = f[DS], on = f[ON], pp = f[PP]}, 0, 0, d_rs, d_al, f)
end

local function append(out, idx, fig)
  out[#out + 1] = idx
  for i = 1, 6 do out[#out + 1] = fig[i] end
end

-- The delta log of one location: members "<quantity>:<seq>" scored by occurred_at ms. The newest
-- occurred_at seen there is the later of the last count and the highest score.
local function count_time(loc)
  return tonumber(redis.call('HGET', KEYS[1], loc .. SEP .. 'ct'))
end

local function newest(log, ct)
  local top = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
  local n = ct
  if top[2] then
    local s = tonumber(top[2])
    if n == nil or s > n then n = s end
  end
  return n
end

-- Records an on-hand delta for counts; false when it is inside the last count (nothing to apply).
local function log_delta(log, loc, t, q, window_ms)
  local ct = count_time(loc)
  if ct ~= nil and t <= ct then return false end
  if q == 0 then return true end
  local seq = redis.call('HINCRBY', KEYS[1], SEP .. 'seq', 1)
  redis.call('ZADD', log, fmt(t), fmt(q) .. ':' .. seq)
  redis.call('ZREMRANGEBYSCORE', log, '-inf', fmt(newest(log, ct) - window_ms))
  return true
end
