-- Records one outcome of (part of) a chunk of an analysis and appends its frame (and
-- `complete` once every chunk is covered) to the session's stream, atomically: two replicas
-- ingesting the last two parts at once still produce exactly one `complete`. The rules are
-- those of analysis/ranges.rs: a range counts only inside its chunk and when it overlaps nothing
-- accepted; the very same range again is a duplicate; a remainder fails what is uncovered.
--
-- KEYS: 1 dedup marker, 2 analysis hash, 3 accepted ranges (hash: chunk index -> "f+n,f+n"
--       sorted), 4 session stream, 5 stream sequence, 6 deadlines (sorted set: analysis id by
--       the unix ms its outstanding chunks time out), 7 chunk starts (hash: index -> first
--       input; index chunk_count -> the variant count)
-- ARGV: 1 session id, 2 chunk index, 3 chunk count, 4 annotated, 5 failed, 6 frame JSON (""
--       when the analysis keeps no result frames), 7 stream max length, 8 ttl seconds,
--       9 analysis id, 10 wake channel, 11 the analysis' new deadline (unix ms) if chunks
--       remain, 12 "1" for a result frame, 13 what it covers: "range", "chunk" or "rest",
--       14 first input and 15 input count of a range
-- Returns "duplicate", "unknown", "count_mismatch:<n>", "out_of_range:<n>",
-- "outside:<chunk first>:<chunk inputs>", "overlap", "miscounted:<counted>" or
-- "appended:<0|1>:<annotated>:<failed>:<f+n,...>" (1 when the analysis completed; the totals
-- so far, this record included; the ranges it filled).
local dedup, akey, rkey, skey, nkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local deadlines, startskey, deadline = KEYS[6], KEYS[7], ARGV[11]
local session, index, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local annotated, failed, frame = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local maxlen, ttl, analysis, channel = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], ARGV[10]
local kind = ARGV[13]

if redis.call('EXISTS', dedup) == 1 then return 'duplicate' end
local a = redis.call('HMGET', akey, 'session', 'request', 'chunks', 'traceparent', 'variants',
  'frames')
-- Which frames enter the stream (Frames in analysis/record.rs): all (absent), summary (no results),
-- none (a REST analysis without a session: bookkeeping only).
local streamed = a[6] ~= 'none'
local keep_own = streamed and frame ~= '' and not (a[6] == 'summary' and ARGV[12] == '1')
if not a[1] or a[1] ~= session then return 'unknown' end
local expected = tonumber(a[3])
if count ~= expected then return 'count_mismatch:' .. expected end
if index >= expected then return 'out_of_range:' .. expected end
local bounds = redis.call('HMGET', startskey, index, index + 1)
local cfirst, cend = tonumber(bounds[1]), tonumber(bounds[2])
if not cfirst or not cend then return 'out_of_range:' .. expected end

-- Accepted ranges of this chunk, sorted by first input.
local ranges = {}
local raw = redis.call('HGET', rkey, index)
if raw then
  for f, n in string.gmatch(raw, '(%d+)%+(%d+)') do
    ranges[#ranges + 1] = { tonumber(f), tonumber(n) }
  end
end

local filled = {}
if kind == 'rest' then
  local at = cfirst
  for _, r in ipairs(ranges) do
    if r[1] > at then filled[#filled + 1] = { at, r[1] - at } end
    if r[1] + r[2] > at then at = r[1] + r[2] end
  end
  if at < cend then filled[#filled + 1] = { at, cend - at } end
  if #filled == 0 then return 'duplicate' end
  annotated, failed = 0, 0
  for _, r in ipairs(filled) do failed = failed + r[2] end
else
  local first, n = cfirst, cend - cfirst
  if kind == 'range' then
    first, n = tonumber(ARGV[14]), tonumber(ARGV[15])
  elseif annotated + failed == 0 then
    -- A whole chunk's failure that does not know its count (its data did not decode).
    failed = n
  end
  if n < 1 or first < cfirst or first + n > cend then
    return 'outside:' .. cfirst .. ':' .. (cend - cfirst)
  end
  if annotated + failed ~= n then return 'miscounted:' .. (annotated + failed) end
  for _, r in ipairs(ranges) do
    if r[1] == first and r[2] == n then return 'duplicate' end
    if first < r[1] + r[2] and r[1] < first + n then return 'overlap' end
  end
  filled[1] = { first, n }
end

for _, r in ipairs(filled) do ranges[#ranges + 1] = r end
table.sort(ranges, function(x, y) return x[1] < y[1] end)
local parts, covered = {}, 0
for _, r in ipairs(ranges) do
  parts[#parts + 1] = r[1] .. '+' .. r[2]
  covered = covered + r[2]
end
redis.call('HSET', rkey, index, table.concat(parts, ','))
local done_chunks = tonumber(redis.call('HGET', akey, 'done_chunks') or '0')
if covered == cend - cfirst then
  done_chunks = redis.call('HINCRBY', akey, 'done_chunks', 1)
end
local total_annotated = redis.call('HINCRBY', akey, 'annotated', annotated)
local total_failed = redis.call('HINCRBY', akey, 'failed', failed)
redis.call('SET', dedup, '1', 'EX', ttl)

local function append(message)
  if not streamed then return end
  local seq = redis.call('INCR', nkey)
  if a[4] then
    redis.call('XADD', skey, 'MAXLEN', maxlen, '*', 'n', seq, 'm', message, 'r', a[2], 't', a[4])
  else
    redis.call('XADD', skey, 'MAXLEN', maxlen, '*', 'n', seq, 'm', message, 'r', a[2])
  end
end

if keep_own then append(frame) end
local done = done_chunks == expected
if not done and a[5] then
  append('{"type":"progress","analysis_id":' .. cjson.encode(analysis) ..
    ',"done":' .. (total_annotated + total_failed) .. ',"total":' .. a[5] .. '}')
end
if done then
  append('{"type":"complete","analysis_id":' .. cjson.encode(analysis) ..
    ',"annotated":' .. total_annotated .. ',"failed":' .. total_failed .. '}')
  redis.call('DEL', akey, rkey, startskey)
  redis.call('ZREM', deadlines, analysis)
else
  -- Progress pushes the deadline: it is "no chunk back for the chunk timeout".
  redis.call('ZADD', deadlines, 'XX', deadline, analysis)
  redis.call('EXPIRE', akey, ttl)
  redis.call('EXPIRE', rkey, ttl)
  redis.call('EXPIRE', startskey, ttl)
end
if streamed then
  redis.call('EXPIRE', skey, ttl)
  redis.call('EXPIRE', nkey, ttl)
  redis.call('PUBLISH', channel, session)
end
local filled_text = {}
for _, r in ipairs(filled) do filled_text[#filled_text + 1] = r[1] .. '+' .. r[2] end
local reply = ':' .. total_annotated .. ':' .. total_failed .. ':' .. table.concat(filled_text, ',')
if done then return 'appended:1' .. reply end
return 'appended:0' .. reply
