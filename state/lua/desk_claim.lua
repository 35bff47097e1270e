-- The store desk's compare-and-set: set a field of the desk hash (or, with an empty field, the key
-- itself, a string) only if it still holds what the caller read. KEYS[1] the desk hash of one order,
-- or a count's key; ARGV: field ("" = the key's own value), expected ("" = absent), new ("" = delete),
-- ttl_s. Returns {1, previous} when set, {0, current} when the value had moved on.
local field, expected, new = ARGV[1], ARGV[2], ARGV[3]
local ttl = tonumber(ARGV[4])
if ttl == nil or ttl <= 0 then return redis.error_reply('ttl_s must be a positive number') end
local current
if field == '' then current = redis.call('GET', KEYS[1]) else current = redis.call('HGET', KEYS[1], field) end
if current == false then current = '' end
if current ~= expected then return {0, current} end
if field == '' then
  if new == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], new, 'EX', ttl) end
  return {1, current}
end
if new == '' then
  redis.call('HDEL', KEYS[1], field)
else
  redis.call('HSET', KEYS[1], field, new)
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ttl) end
return {1, current}
