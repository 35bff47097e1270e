-- RecordCount. KEYS: stock, nb dedupe buckets, the location's delta log.
-- ARGV: event_id, now_ms, occurred_at_ms, dedupe_ttl_ms, count_window_ms, nb,
--       location_id, counted on_hand, default_safety_stock, serves_online (0/1), online_protection.
local eid = event_key(ARGV[1])
int(ARGV[2], 'now_ms')
local t = int(ARGV[3], 'occurred_at_ms')
local ttl = nonneg(ARGV[4], 'dedupe_ttl_ms')
local window = nonneg(ARGV[5], 'count_window_ms')
local nb = nonneg(ARGV[6], 'dedupe_buckets')
if #KEYS ~= 2 + nb or #ARGV ~= 11 then invalid('arity', #KEYS .. '/' .. #ARGV) end
local loc = location(ARGV[7])
local counted = nonneg(ARGV[8], 'on_hand')
local s = settings(9)
local log = KEYS[2 + nb]

if seen(nb, eid) then return {DUPLICATE, net_atp()} end
remember(eid, ttl)
local ct = count_time(loc)
if ct ~= nil and t < ct then return {STALE_COUNT, net_atp()} end
local nw = newest(log, ct)
if nw ~= nil and t < nw - window then return {TOO_LATE, net_atp()} end

-- on_hand := counted + every delta that occurred after the count; the others are inside it.
local after = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', log, '(' .. fmt(t), '+inf')) do
  after = after + tonumber(string.match(m, '^(-?%d+):'))
end
redis.call('ZREMRANGEBYSCORE', log, '-inf', fmt(t))
redis.call('HSET', KEYS[1], loc .. SEP .. 'ct', fmt(t))
local f = load_figures(loc)
local out = {APPLIED, 0}
append(out, 1, touch(loc, s, counted + after - f[OH], 0, 0, 0, f))
out[2] = net_atp()
return out
