-- MoveTransfer. KEYS: stock, nb dedupe buckets, transfers hash, closed-transfers zset, log(from), log(to).
-- ARGV: event_id, now_ms, occurred_at_ms, dedupe_ttl_ms, count_window_ms, nb, transfer_id, status,
--       from, to, quantity, then the settings of from and of to: default_ss, serves_online, protection.
-- The state of (transfer_id, sku) is the set of steps seen, "shipped,received,cancelled,closed_ms";
-- its effect is a function of that set, so each arrival applies the difference (any arrival order).
local eid = event_key(ARGV[1])
local now = int(ARGV[2], 'now_ms')
local t = int(ARGV[3], 'occurred_at_ms')
local ttl = nonneg(ARGV[4], 'dedupe_ttl_ms')
local window = nonneg(ARGV[5], 'count_window_ms')
local nb = nonneg(ARGV[6], 'dedupe_buckets')
if #KEYS ~= 5 + nb or #ARGV ~= 17 then invalid('arity', #KEYS .. '/' .. #ARGV) end
local tid, status = ARGV[7], ARGV[8]
if tid == '' then invalid('transfer_id', tid) end
if status ~= 'SHIPPED' and status ~= 'RECEIVED' and status ~= 'CANCELLED' then invalid('status', status) end
local from, to = location(ARGV[9]), location(ARGV[10])
local q = nonneg(ARGV[11], 'quantity')
local s_from, s_to = settings(12), settings(15)
local xfers, closed, log_from, log_to = KEYS[2 + nb], KEYS[3 + nb], KEYS[4 + nb], KEYS[5 + nb]

if seen(nb, eid) then return {DUPLICATE, net_atp()} end
remember(eid, ttl)

local function effect(s, r, c)  -- on_hand(from), in_transit(to), on_hand(to)
  if r then return -(s or 0), 0, r end
  if s and not c then return -s, s, 0 end
  return 0, 0, 0
end

local raw = redis.call('HGET', xfers, tid)
local s, r, c, closed_at
if raw then
  local a, b, cc, d = string.match(raw, '^([^,]*),([^,]*),([^,]*),([^,]*)$')
  closed_at = tonumber(d)
  if closed_at == nil or closed_at > now - window then  -- a closed state older than the window is forgotten
    s, r, c = tonumber(a), tonumber(b), cc == '1'
  end
end
local s1, r1, c1 = s, r, c
if status == 'SHIPPED' then s1 = s or q
elseif status == 'RECEIVED' then r1 = r or q
elseif not r then c1 = true end  -- a cancellation after the receipt is ignored
if s1 == s and r1 == r and c1 == c then return {DUPLICATE, net_atp()} end

local f0, i0, t0 = effect(s, r, c)
local f1, i1, t1 = effect(s1, r1, c1)
local d_from = f1 - f0
if d_from ~= 0 and not log_delta(log_from, from, t, d_from, window) then d_from = 0 end
local d_to = t1 - t0
if d_to ~= 0 and not log_delta(log_to, to, t, d_to, window) then d_to = 0 end
local out = {APPLIED, 0}
append(out, 1, touch(from, s_from, d_from, 0))
append(out, 2, touch(to, s_to, d_to, i1 - i0))

local is_closed = (s1 and (r1 or c1)) or (c1 and not s1 and not r1)
local state = (s1 and fmt(s1) or '') .. ',' .. (r1 and fmt(r1) or '') .. ',' .. (c1 and '1' or '') .. ','
if is_closed then
  redis.call('HSET', xfers, tid, state .. fmt(now))
  redis.call('ZADD', closed, fmt(now), tid)
else
  redis.call('HSET', xfers, tid, state)
  if closed_at then redis.call('ZREM', closed, tid) end
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', closed, '-inf', fmt(now - window), 'LIMIT', 0, 16)) do
  redis.call('HDEL', xfers, old)
  redis.call('ZREM', closed, old)
end
out[2] = net_atp()
return out
