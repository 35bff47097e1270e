-- Recomputes one sku's reserved and allocated from its hold and allocation records, each location's
-- ATP from its figures and the network aggregates from the online locations; repairs what differed.
-- KEYS: stock, holds hash, allocations hash, hold expiry zset. ARGV: none.
-- Reply: {hold_gen, min_expiry, then (location_id, figure, stored, actual) per drift}.
local holds, allocs, exps = KEYS[2], KEYS[3], KEYS[4]
local net0 = redis.call('HMGET', KEYS[1], SEP .. 'oh', SEP .. 'it', SEP .. 'rs', SEP .. 'al', SEP .. 'atp')
local reserved, allocated, present, locs = {}, {}, {}, {}
local function add_loc(loc)
  if loc ~= '' and not present[loc] then present[loc] = true; locs[#locs + 1] = loc end
end
local raw = redis.call('HGETALL', holds)
for i = 2, #raw, 2 do
  local h = parse_hold(raw[i])
  reserved[h.loc] = (reserved[h.loc] or 0) + h.q
  add_loc(h.loc)
end
raw = redis.call('HGETALL', allocs)
for i = 2, #raw, 2 do
  local a = parse_alloc(raw[i])
  allocated[a.loc] = (allocated[a.loc] or 0) + a.q
  add_loc(a.loc)
end
raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do  -- a field without SEP is a location's figures; "<location>|ct" names one too
  local name = raw[i]
  if string.find(name, SEP, 1, true) then add_loc(string.match(name, '^([^|]*)|')) else add_loc(name) end
end
table.sort(locs)

local out = {0, 0}
local function report(loc, figure, stored, actual)
  if stored ~= actual then
    for _, x in ipairs({loc, figure, stored, actual}) do out[#out + 1] = x end
  end
end
for _, loc in ipairs(locs) do
  local f = load_figures(loc)
  local rs0, al0 = f[RS], f[AL]
  local rs1, al1 = reserved[loc] or 0, allocated[loc] or 0
  report(loc, 'reserved', rs0, rs1)
  report(loc, 'allocated', al0, al1)
  report(loc, 'atp', f[ATP], math.max(0, f[OH] - rs1 - al1 - safety(f, f[DS])))
  retouch(loc, rs1 - rs0, al1 - al0)
end
local nrs = tonumber(redis.call('HGET', KEYS[1], SEP .. 'nrs')) or 0
if nrs ~= (reserved[''] or 0) then
  report('', 'network_reserved', nrs, reserved[''] or 0)
  redis.call('HSET', KEYS[1], SEP .. 'nrs', fmt(reserved[''] or 0))
end
local sums = {0, 0, 0, 0, 0}
for _, loc in ipairs(locs) do
  local f = load_figures(loc)
  if f[ON] == 1 then
    for i = 1, 4 do sums[i] = sums[i] + f[i] end  -- oh, it, rs, al
    sums[5] = sums[5] + math.max(0, f[ATP] - f[PP])  -- online ATP
  end
end
local names = {'on_hand', 'in_transit', 'reserved', 'allocated', 'atp'}
for i = 1, 5 do
  report('', names[i], tonumber(net0[i]) or 0, sums[i])
  redis.call('HSET', KEYS[1], SEP .. NET[i], fmt(sums[i]))
end
out[1], out[2] = bump(), min_expiry(exps)
return out
