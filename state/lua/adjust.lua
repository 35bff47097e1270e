-- AdjustOnHand. KEYS: stock, nb dedupe buckets, one delta log per delta.
-- ARGV: event_id, now_ms, occurred_at_ms, dedupe_ttl_ms, count_window_ms, nb, n,
--       then per delta: location_id, quantity, default_safety_stock, serves_online (0/1), protection.
local eid = event_key(ARGV[1])
int(ARGV[2], 'now_ms')
local t = int(ARGV[3], 'occurred_at_ms')
local ttl = nonneg(ARGV[4], 'dedupe_ttl_ms')
local window = nonneg(ARGV[5], 'count_window_ms')
local nb = nonneg(ARGV[6], 'dedupe_buckets')
local n = nonneg(ARGV[7], 'deltas')
if #KEYS ~= 1 + nb + n or #ARGV ~= 7 + 5 * n then invalid('arity', #KEYS .. '/' .. #ARGV) end
local deltas = {}
for i = 1, n do
  local a = 7 + 5 * (i - 1)
  deltas[i] = {location(ARGV[a + 1]), int(ARGV[a + 2], 'quantity'), settings(a + 3)}
end

if seen(nb, eid) then return {DUPLICATE, net_atp()} end
remember(eid, ttl)
local out = {APPLIED, 0}
local inside = n > 0
for i = 1, n do
  local d = deltas[i]
  if log_delta(KEYS[1 + nb + i], d[1], t, d[2], window) then
    inside = false
    append(out, i, touch(d[1], d[3], d[2], 0))
  end
end
if inside then out[1] = INSIDE_COUNT end
out[2] = net_atp()
return out
