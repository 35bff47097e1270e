-- Sets or clears the per-sku safety-stock override of one location, then recomputes its ATP.
-- KEYS: stock. ARGV: location_id, override ('' clears it), default_safety_stock, serves_online (0/1),
-- online_protection.
local loc = location(ARGV[1])
local override = ARGV[2]
if override ~= '' then nonneg(override, 'safety_stock') end
local s = settings(3)
local f = load_figures(loc)
f[SS] = NO_OVERRIDE
if override ~= '' then f[SS] = tonumber(override) end
local out = {APPLIED, 0}
append(out, 1, touch(loc, s, 0, 0, 0, 0, f))
out[2] = net_atp()
return out
