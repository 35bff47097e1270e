-- The due index of hold expiry: which skus have holds and the earliest expiry of each. It is NOT
-- sku-tagged (one zset for the table, its own Cluster slot), so the per-sku scripts cannot write it:
-- the store calls this after them with their replies. KEYS: due zset (sku by earliest expiry), due
-- generations hash (sku -> hold generation applied). ARGV: (sku, hold_gen, min_expiry or -1) triples.
-- A triple not newer than the applied generation is ignored: replies applied out of order (several
-- workers) cannot drop a sku that still has holds.
for i = 1, #ARGV, 3 do
  local sku, gen, e = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if gen == nil or e == nil then error({err = 'INVALID due triple: ' .. tostring(sku)}) end
  if gen > (tonumber(redis.call('HGET', KEYS[2], sku)) or 0) then
    if e >= 0 then
      redis.call('ZADD', KEYS[1], e, sku)
      redis.call('HSET', KEYS[2], sku, gen)
    else
      redis.call('ZREM', KEYS[1], sku)
      redis.call('HDEL', KEYS[2], sku)
    end
  end
end
return 0
