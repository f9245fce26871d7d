package redisstore

import (
	"strconv"

	"github.com/redis/go-redis/v9"
)

// listScan bounds the hashes one call of listScript reads.
const listScan = 1000

// The scripts run on the server, each atomically. Every key a script
// touches belongs to one function and so to one cluster slot; keys that
// a script builds itself (chunks, the records of a Clear) are named from
// the prefixes it is given, inside that same slot, which Redis Cluster
// allows.
//
// A part of a record is kept inline, in field "r", "k" or "m" of the
// record's hash, or as chunks, with field "rc", "kc" or "mc" holding
// "GEN COUNT LENGTH": the chunks are the strings CHUNKPREFIX..GEN..":"..i.
// GEN is random for each write, so a write never overwrites chunks that a
// reader of the previous record may still be reading; it deletes them once
// the new record is in place, and the reader, finding one gone, reads the
// record again.

// dropChunks is Lua shared by the scripts: it deletes the chunks of a
// descriptor unless its generation is in keep, or, given a grace in
// milliseconds, lets them expire after it.
const dropChunks = `
local function dropchunks(cp, d, keep, grace)
  if not d then return end
  local g, n = string.match(d, '^(%S+) (%d+)')
  if g == nil or keep[g] then return end
  for i = 0, tonumber(n) - 1 do
    if grace then
      redis.call('PEXPIRE', cp .. g .. ':' .. i, grace)
    else
      redis.call('DEL', cp .. g .. ':' .. i)
    end
  end
end
`

// sweep is Lua shared by the scripts that read or change a function's
// index: dropexpired removes one record, with its chunks and its index,
// listing and expiry entries; sweep removes up to 100 records past their
// expiry and returns the server's time in milliseconds (and as TIME gave
// it). Redis drops an expired record's own keys by itself; the entries
// that name it go here, before the script looks at the index. Past 100,
// the scripts that count or list pass by the rest themselves (lenScript,
// listScript), so that no listing or count shows a record that is gone.
// ek, ik, mk: the expiries, index and metas keys; rp, cp: the record and
// chunk prefixes.
const sweep = `
local function dropexpired(ek, ik, mk, rp, cp, h)
  local rk = rp .. h
  for _, d in ipairs(redis.call('HMGET', rk, 'rc', 'kc', 'mc')) do dropchunks(cp, d, {}, false) end
  redis.call('DEL', rk)
  redis.call('ZREM', ik, h)
  redis.call('HDEL', mk, h)
  redis.call('ZREM', ek, h)
end
local function sweep(ek, ik, mk, rp, cp)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  for _, h in ipairs(redis.call('ZRANGEBYSCORE', ek, '-inf', now, 'LIMIT', 0, 100)) do
    dropexpired(ek, ik, mk, rp, cp, h)
  end
  return now, t
end
`

// commitScript puts a record in place of the old one, with its index and
// listing entries. KEYS: record, index, metas, expiries. ARGV: hash,
// size, chunk prefix, grace in milliseconds, time to live in milliseconds
// (0: none), record prefix, then field/value pairs. A record with a time
// to live expires with its chunks, and its expiry entry lets the sweep
// remove the rest; one without is permanent. It returns 0,
// changing nothing, if a chunk it is to point to has gone (it outlived its
// staging expiry), 2 if the record is the function's first, else 1. The
// old record's chunks expire after the grace,
// so that readers already reading them finish. A retry of the same write
// (the client resends after a lost reply) finds its own generation in
// place and keeps it.
var commitScript = redis.NewScript(dropChunks + sweep + `
local cp = ARGV[3]
local ttl = tonumber(ARGV[5])
local new = {}
for i = 7, #ARGV, 2 do
  if string.len(ARGV[i]) == 2 then
    local g, n = string.match(ARGV[i+1], '^(%S+) (%d+)')
    new[g] = true
    for j = 0, tonumber(n) - 1 do
      if redis.call('EXISTS', cp .. g .. ':' .. j) == 0 then return 0 end
    end
  end
end
for _, d in ipairs(redis.call('HMGET', KEYS[1], 'rc', 'kc', 'mc')) do dropchunks(cp, d, new, ARGV[4]) end
local now, t = sweep(KEYS[4], KEYS[2], KEYS[3], ARGV[6], cp)
for i = 7, #ARGV, 2 do
  if string.len(ARGV[i]) == 2 then
    local g, n = string.match(ARGV[i+1], '^(%S+) (%d+)')
    for j = 0, tonumber(n) - 1 do
      if ttl > 0 then
        redis.call('PEXPIRE', cp .. g .. ':' .. j, ttl)
      else
        redis.call('PERSIST', cp .. g .. ':' .. j)
      end
    end
  end
end
redis.call('DEL', KEYS[1])
local ct = t[1] .. string.format('%06d', tonumber(t[2]))
redis.call('HSET', KEYS[1], 'ct', ct, unpack(ARGV, 7))
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[4], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
local added = redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ' ' .. ct)
if added == 1 and redis.call('ZCARD', KEYS[2]) == 1 then return 2 end
return 1
`)

// deleteScript removes a record with its chunks and its index and listing
// entries. KEYS: record, index, metas, expiries. ARGV: hash, chunk
// prefix, record prefix. It returns how many records the function still
// has, or, if there was no record, -1 minus that.
var deleteScript = redis.NewScript(dropChunks + sweep + `
sweep(KEYS[4], KEYS[2], KEYS[3], ARGV[3], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 - redis.call('ZCARD', KEYS[2]) end
for _, d in ipairs(redis.call('HMGET', KEYS[1], 'rc', 'kc', 'mc')) do dropchunks(ARGV[2], d, {}, false) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return redis.call('ZCARD', KEYS[2])
`)

// clearScript removes up to a batch of a function's records, so that
// clearing a large function does not hold the server for long in one
// script; with the last batch it removes the owner record and the
// expiries. KEYS: index, metas, owner, expiries. ARGV: record prefix,
// chunk prefix, batch. It returns 1 while records may remain, 0 when the
// function is clear.
var clearScript = redis.NewScript(dropChunks + `
local batch = tonumber(ARGV[3])
local hs = redis.call('ZRANGE', KEYS[1], 0, batch - 1)
for _, h in ipairs(hs) do
  local rk = ARGV[1] .. h
  for _, d in ipairs(redis.call('HMGET', rk, 'rc', 'kc', 'mc')) do dropchunks(ARGV[2], d, {}, false) end
  redis.call('DEL', rk)
  redis.call('ZREM', KEYS[1], h)
  redis.call('HDEL', KEYS[2], h)
  redis.call('ZREM', KEYS[4], h)
end
if #hs < batch then
  redis.call('DEL', KEYS[3], KEYS[4])
  return 0
end
return 1
`)

// listScript returns a page of hashes after a cursor with their listing
// entries, as hash, entry, hash, entry... KEYS: index, metas, expiries.
// ARGV: the ZRANGEBYLEX minimum ("-" or "(" .. after), the page size, the
// record and chunk prefixes. It reads the index in groups of at most 500
// (Lua's unpack is limited to a few thousand values), removing the
// records past their expiry that it meets, until the page is full or it
// has read listScan hashes, so that no call holds the server for long:
// its first value is then where to go on ("(" .. the last hash read),
// and "" when the page is full or the index ends.
var listScript = redis.NewScript(dropChunks + sweep + "local listScan = " + strconv.Itoa(listScan) + "\n" + `
local now = sweep(KEYS[3], KEYS[1], KEYS[2], ARGV[3], ARGV[4])
local expiring = redis.call('ZCARD', KEYS[3]) > 0
local want = tonumber(ARGV[2])
local from = ARGV[1]
local out = {''}
local got, scanned = 0, 0
while got < want do
  if scanned >= listScan then
    out[1] = from
    break
  end
  local hs = redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, math.min(want - got, 500))
  if #hs == 0 then break end
  scanned = scanned + #hs
  from = '(' .. hs[#hs]
  local live = {}
  for _, h in ipairs(hs) do
    local e = expiring and redis.call('ZSCORE', KEYS[3], h)
    if e and tonumber(e) <= now then
      dropexpired(KEYS[3], KEYS[1], KEYS[2], ARGV[3], ARGV[4], h)
    else
      live[#live + 1] = h
    end
  end
  if #live > 0 then
    local ms = redis.call('HMGET', KEYS[2], unpack(live))
    for k = 1, #live do
      out[#out + 1] = live[k]
      out[#out + 1] = ms[k]
    end
  end
  got = got + #live
end
return out
`)

// lenScript counts a function's records, those past their expiry that
// the sweep left out. KEYS: index, metas, expiries. ARGV: the record and
// chunk prefixes.
var lenScript = redis.NewScript(dropChunks + sweep + `
local now = sweep(KEYS[3], KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[3], '-inf', now)
`)

// claimOwnerScript stores the owner record unless one is stored, and
// returns the one stored afterwards. KEYS: owner. ARGV: owner.
var claimOwnerScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`)

// acquireScript takes a lease: SET NX PX, or, when the lease already holds
// this token (the client resent a SET whose reply was lost), extends it.
// KEYS: lease. ARGV: token, milliseconds. It returns 1 if the caller holds
// the lease.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

// renewScript extends a lease only if it still holds the caller's token.
// KEYS: lease. ARGV: token, milliseconds. It returns 1 if it did.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes a lease only if it still holds the caller's token:
// a holder whose lease expired and was taken by another must not delete
// the other's. KEYS: lease. ARGV: token.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
