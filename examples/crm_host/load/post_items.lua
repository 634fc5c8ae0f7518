-- wrk script: POST /api/items with an id no other request of the run uses, so that every request
-- is a new item the host journals (a duplicate would be a 409 and journal nothing).
-- The token comes from OMNIROUTE_LOAD_TOKEN; wrk counts non-2xx answers in its summary.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  token = os.getenv("OMNIROUTE_LOAD_TOKEN")
  prefix = string.format("load-%d-%d-", os.time(), thread_number)
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format(
      '{"id": "%s%d", "queue": "support", "channel": "email", "priority": "C"}', prefix, counter)
  return wrk.format("POST", "/api/items",
                    {["Authorization"] = "Bearer " .. token,
                     ["Content-Type"] = "application/json"}, body)
end
