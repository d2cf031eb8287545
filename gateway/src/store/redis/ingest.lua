-- Records one chunk of an analysis and appends its frame (and `complete` after the last
-- chunk) to the session's stream, atomically: two replicas ingesting the last two chunks at
-- once still produce exactly one `complete`.
--
-- KEYS: 1 dedup marker, 2 analysis hash, 3 chunk set, 4 session stream, 5 stream sequence,
--       6 deadlines (sorted set: analysis id by the unix ms its outstanding chunks time out)
-- ARGV: 1 session id, 2 chunk index, 3 chunk count, 4 annotated, 5 failed, 6 frame JSON,
--       7 stream max length, 8 ttl seconds, 9 analysis id, 10 wake channel,
--       11 the analysis' new deadline (unix ms) if chunks remain, 12 "1" for a result frame
-- Returns "duplicate", "unknown", "count_mismatch:<n>", "out_of_range:<n>",
-- "duplicate_chunk:<i>" or "appended:<0|1>:<annotated>:<failed>" (1 when the analysis
-- completed; the totals so far, this chunk included).
local dedup, akey, ckey, skey, nkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local deadlines, deadline = KEYS[6], ARGV[11]
local session, index, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local annotated, failed, frame = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local maxlen, ttl, analysis, channel = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], ARGV[10]

if redis.call('EXISTS', dedup) == 1 then return 'duplicate' end
local a = redis.call('HMGET', akey, 'session', 'request', 'chunks', 'traceparent', 'variants',
  'frames')
-- Which frames enter the stream (Frames in store.rs): all (absent), summary (no results),
-- none (a REST analysis without a session: bookkeeping only).
local streamed = a[6] ~= 'none'
local keep_own = streamed and not (a[6] == 'summary' and ARGV[12] == '1')
if not a[1] or a[1] ~= session then return 'unknown' end
local expected = tonumber(a[3])
if count ~= expected then return 'count_mismatch:' .. expected end
if index >= expected then return 'out_of_range:' .. expected end
if redis.call('SADD', ckey, index) == 0 then return 'duplicate_chunk:' .. index end
local total_annotated = redis.call('HINCRBY', akey, 'annotated', annotated)
local total_failed = redis.call('HINCRBY', akey, 'failed', failed)
redis.call('SET', dedup, '1', 'EX', ttl)

local function append(message)
  if not streamed then return end
  local n = redis.call('INCR', nkey)
  if a[4] then
    redis.call('XADD', skey, 'MAXLEN', maxlen, '*', 'n', n, 'm', message, 'r', a[2], 't', a[4])
  else
    redis.call('XADD', skey, 'MAXLEN', maxlen, '*', 'n', n, 'm', message, 'r', a[2])
  end
end

if keep_own then append(frame) end
local done = redis.call('SCARD', ckey) == expected
if not done and a[5] then
  append('{"type":"progress","analysis_id":' .. cjson.encode(analysis) ..
    ',"done":' .. (total_annotated + total_failed) .. ',"total":' .. a[5] .. '}')
end
if done then
  append('{"type":"complete","analysis_id":' .. cjson.encode(analysis) ..
    ',"annotated":' .. total_annotated .. ',"failed":' .. total_failed .. '}')
  redis.call('DEL', akey, ckey)
  redis.call('ZREM', deadlines, analysis)
else
  -- Progress pushes the deadline: it is "no chunk back for the chunk timeout".
  redis.call('ZADD', deadlines, 'XX', deadline, analysis)
  redis.call('EXPIRE', akey, ttl)
  redis.call('EXPIRE', ckey, ttl)
end
if streamed then
  redis.call('EXPIRE', skey, ttl)
  redis.call('EXPIRE', nkey, ttl)
  redis.call('PUBLISH', channel, session)
end
local totals = ':' .. total_annotated .. ':' .. total_failed
if done then return 'appended:1' .. totals end
return 'appended:0' .. totals
