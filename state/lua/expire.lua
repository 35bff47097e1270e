-- Releases the holds of one sku whose expiry is not after now_ms, oldest first, at most `limit`; the
-- check and the release are one step, so a hold is released exactly once however often this runs.
-- KEYS: stock, holds hash, hold expiry zset. ARGV: now_ms, limit.
-- Reply: {network_atp, hold_gen, min_expiry (-1: none), n, (cart_id, location_id, qty) * n,
--         then per touched location: location_id, oh, it, rs, al, ss, atp}.
local now = int(ARGV[1], 'now_ms')
local limit = nonneg(ARGV[2], 'limit')
local holds, exps = KEYS[2], KEYS[3]
local figs = new_figs()
local out = {0, 0, 0, 0}
for _, cart in ipairs(redis.call('ZRANGEBYSCORE', exps, '-inf', fmt(now), 'LIMIT', 0, limit)) do
  local h = parse_hold(redis.call('HGET', holds, cart))
  if h and h.exp <= now then
    reserve(figs, h.loc, -h.q, nil)
    redis.call('HDEL', holds, cart)
    out[#out + 1] = cart
    out[#out + 1] = h.loc
    out[#out + 1] = h.q
    out[4] = out[4] + 1
  end
  if h and h.exp > now then
    redis.call('ZADD', exps, fmt(h.exp), cart)  -- the record is the truth: index it by its expiry
  else
    redis.call('ZREM', exps, cart)
  end
end
out[1], out[2], out[3] = net_atp(), bump(), min_expiry(exps)
return emit(out, figs)
