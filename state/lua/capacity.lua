-- Daily pick capacity of one location on one day, taken per order line: TAKE refuses past the limit
-- and consumes in the same step; GIVE returns what TAKE took. Standalone (no common.lua: KEYS[1] is
-- not a stock hash). One key per call, so it runs on Redis Cluster whatever other keys a batch uses.
-- KEYS[1]: the capacity hash of the location's bucket that day: field location_id -> lines taken, and one field
--          "<location_id>|<order line member>" per line taken there (what makes a retry change nothing).
-- ARGV: op ('TAKE' | 'GIVE'), location_id, limit (TAKE; -1: none), ttl_s, members (one per line)...
-- Reply: {lines taken at the location after the call, then per member 1 (taken, now or by an earlier
--         call; GIVE: given back now) or 0 (refused: no capacity left; GIVE: was not taken)}.
local op, loc = ARGV[1], ARGV[2]
local limit, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
if op ~= 'TAKE' and op ~= 'GIVE' then return redis.error_reply('INVALID op: ' .. tostring(op)) end
if loc == nil or loc == '' or string.find(loc, '|', 1, true) then
  return redis.error_reply('INVALID location_id: ' .. tostring(loc))
end
if limit == nil or limit ~= math.floor(limit) or limit < -1 then
  return redis.error_reply('INVALID limit: ' .. tostring(ARGV[3]))
end
if ttl == nil or ttl ~= math.floor(ttl) or ttl < 1 then
  return redis.error_reply('INVALID ttl_s: ' .. tostring(ARGV[4]))
end
for i = 5, #ARGV do
  if ARGV[i] == '' then return redis.error_reply('INVALID member: empty') end
end

local n0 = tonumber(redis.call('HGET', KEYS[1], loc)) or 0
local n = n0
local out = {0}
for i = 5, #ARGV do
  local field = loc .. '|' .. ARGV[i]
  local got = 0
  if op == 'TAKE' then
    if redis.call('HEXISTS', KEYS[1], field) == 1 then
      got = 1
    elseif limit < 0 or n < limit then
      redis.call('HSET', KEYS[1], field, '1')
      n, got = n + 1, 1
    end
  elseif redis.call('HDEL', KEYS[1], field) == 1 then
    n, got = n - 1, 1
  end
  out[#out + 1] = got
end
if n ~= n0 then
  redis.call('HSET', KEYS[1], loc, string.format('%d', math.max(0, n)))
  redis.call('EXPIRE', KEYS[1], ttl)
end
out[1] = math.max(0, n)
return out
