/**
 * The fleet's Lua scripts. Each runs atomically in Redis on one service's keys (all hash-tagged
 * with the service, so they live in one Redis Cluster slot), reads the time from `redis.call('TIME')`
 * and answers remaining milliseconds: no node ever compares its wall clock with another host's.
 *
 * One hash per service holds the shared state:
 *   state    closed | open | forced-open | disabled
 *   epoch    Redis time (digits) when this history began: a Redis that lost its data starts a new one
 *   v        version, bumped by every write; a write based on an older (epoch, v) is rejected
 *   until    Redis ms when an open period ends
 *   reopens  opens since the last fleet-wide close (the shared backoff)
 *   origin   the node that wrote it; reason: why (a trip reason, a probe outcome, or `manual`)
 *
 * Every script that reports a state answers the same array:
 *   { tag, state, epoch, v, remainingMs, reopens, origin, reason, extra }
 */

/** Shared by the scripts: `now` in Redis ms, the hash read, and the reply built from it. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'v', 'until', 'reopens', 'origin', 'reason')
local state = h[1] or 'closed'
local epoch = h[2] or ''
local v = tonumber(h[3]) or 0
local untilMs = tonumber(h[4]) or 0
local reopens = tonumber(h[5]) or 0
local function remaining()
  if state ~= 'open' then return 0 end
  local r = untilMs - now
  if r < 0 then return 0 end
  return r
end
local function reply(tag, extra)
  return { tag, state, epoch, v, remaining(), reopens, h[6] or '', h[7] or '', extra or 0 }
end
`;

/** KEYS: state. Reads the shared state (tag `none` when the service has no history yet). */
export const READ = `${PRELUDE}
if not h[1] then return reply('none') end
return reply('ok')
`;

/**
 * KEYS: state, lease, trips.
 * ARGV: op, baseEpoch, baseV, target, node, reason, token, openMs, factor, maxMs, jitter, quorum,
 *       windowMs, channel, service.
 * op `trip`: a node opened from closed; counted toward the quorum, opens the fleet when reached.
 * op `settle`: the outcome of a half-open period, based on the open the node saw.
 * op `command`: an operator's fleet-wide reset / force-open / disable; always applies.
 * Tags: ok (written and published), stale (rejected: the reply is the current state), noted
 * (trip counted, quorum not reached; extra = distinct nodes in the window).
 */
export const UPDATE = `${PRELUDE}
local op, target, node, reason = ARGV[1], ARGV[4], ARGV[5], ARGV[6]
if op == 'trip' then
  if state ~= 'closed' then return reply('stale') end
  local k = tonumber(ARGV[12])
  if k > 1 then
    local w = tonumber(ARGV[13])
    redis.call('ZADD', KEYS[3], now, node)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - w)
    redis.call('PEXPIRE', KEYS[3], w)
    local n = redis.call('ZCARD', KEYS[3])
    if n < k then return reply('noted', n) end
  end
  reopens = reopens + 1
elseif op == 'settle' then
  if state ~= 'open' or epoch ~= ARGV[2] or v ~= tonumber(ARGV[3]) then return reply('stale') end
  if ARGV[7] ~= '' and redis.call('GET', KEYS[2]) == ARGV[7] then redis.call('DEL', KEYS[2]) end
  if target == 'open' then reopens = reopens + 1 else reopens = 0 end
elseif op == 'command' then
  redis.call('DEL', KEYS[2])
  if target == 'closed' then reopens = 0 end
else
  return redis.error_reply('breakwater fleet: unknown op ' .. tostring(op))
end
if epoch == '' then epoch = t[1] .. string.format('%06d', tonumber(t[2])) end
local rem = 0
local untilNew = 0
if target == 'open' then
  local maxMs = tonumber(ARGV[10])
  local d = tonumber(ARGV[8]) * tonumber(ARGV[9]) ^ math.max(0, reopens - 1)
  if d > maxMs then d = maxMs end
  d = math.floor(d * (1 + tonumber(ARGV[11])) + 0.5)
  if d > maxMs then d = maxMs end
  rem = d
  untilNew = now + d
end
if target == 'closed' then redis.call('DEL', KEYS[3]) end
v = v + 1
redis.call('HSET', KEYS[1], 'state', target, 'epoch', epoch, 'v', v, 'until', untilNew,
  'reopens', reopens, 'origin', node, 'reason', reason)
redis.call('PUBLISH', ARGV[14], cjson.encode({ s = ARGV[15], st = target, e = epoch, v = v, r = rem,
  n = reopens, o = node, why = reason }))
return { 'ok', target, epoch, v, rem, reopens, node, reason, 0 }
`;

/**
 * KEYS: state, lease. ARGV: token, leaseMs, baseEpoch, baseV.
 * Tags: won (the lease is ours), wait (the open period has not ended; remainingMs says how long),
 * held (another node probes; extra = the lease's remaining ms), state (the shared state is not the
 * open the node saw: adopt the reply).
 */
export const ACQUIRE = `${PRELUDE}
if state ~= 'open' or epoch ~= ARGV[3] or v ~= tonumber(ARGV[4]) then return reply('state') end
if remaining() > 0 then return reply('wait') end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return reply('won') end
return reply('held', redis.call('PTTL', KEYS[2]))
`;

/** KEYS: lease. ARGV: token, leaseMs. 1 when the lease is still ours (and extended), else 0. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: token. Compare-and-delete: 1 when it was ours. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS: nodes. ARGV: node, peerTtlMs. Records this node and answers every node seen recently. */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/** KEYS: nodes. ARGV: node. A node that closes leaves the peer list at once. */
export const LEAVE = `
return redis.call('ZREM', KEYS[1], ARGV[1])
`;
