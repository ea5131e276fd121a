-- `make bench`: every request POSTs Connect for another payments resource, as people click it.
-- Arguments (after `--`): the file of server ids, the form's CSRF token (URL-encoded), the
-- origin every Stripe link starts with, and wrk's thread count. Thread n takes ids n, n + t,
-- n + 2t, …, so no two requests click the same resource while the file lasts.
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  body = "csrf_token=" .. args[2]
  expected = args[3]
  stride = tonumber(args[4])
  position = offset
  unexpected = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local id = ids[position % #ids + 1]
  position = position + stride
  return wrk.format(nil, "/payments/" .. id .. "/connect", nil, body)
end

-- Connect answers 303 to the Account Link; anything else (an error page, a 303 back to the
-- resource with a notice) means the click did not do what the figure claims.
function response(status, headers, body)
  local location = headers["Location"] or ""
  if status ~= 303 or location:sub(1, #expected) ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  if total > 0 then
    io.write(string.format("unexpected answers: %d\n", total))
  end
end
