-- Sets or clears the per-sku safety-stock override of one location, then recomputes its ATP.
-- KEYS: stock. ARGV: location_id, override ('' clears it), default_safety_stock, serves_online (0/1).
local loc = location(ARGV[1])
local override = ARGV[2]
if override ~= '' then nonneg(override, 'safety_stock') end
local default_ss = nonneg(ARGV[3], 'safety_stock')
local online = flag(ARGV[4], 'serves_online')
if override == '' then
  redis.call('HDEL', KEYS[1], loc .. SEP .. 'ss')
else
  redis.call('HSET', KEYS[1], loc .. SEP .. 'ss', override)
end
local out = {APPLIED, 0}
append(out, 1, touch(loc, default_ss, online, 0, 0))
out[2] = net_atp()
return out
