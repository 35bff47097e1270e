-- The store desk's compare-and-set: set a field of the desk hash only if it still holds what the
-- caller read. KEYS[1] the desk hash of one order; ARGV: field, expected ("" = absent), new ("" =
-- delete the field), ttl_s. Returns {1, previous} when set, {0, current} when the field had moved on.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == false then current = '' end
if current ~= ARGV[2] then return {0, current} end
local ttl = tonumber(ARGV[4])
if ttl == nil or ttl <= 0 then return redis.error_reply('ttl_s must be a positive number') end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ttl) end
return {1, current}
