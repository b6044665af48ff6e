-- POST add-to-cart (htmx + CSRF) to the URL wrk was given, as several shoppers at once.
-- Request n is shopper n mod #sessions adding the next product in turn. The shoppers and the
-- products come from the file named after `--`: lines "session<TAB>cookie<TAB>csrf token"
-- and "product<TAB>the add form's fields for it" (the product id and its chosen options).
dofile("report.lua")

local sessions, products = {}, {}
local n = 0

init = function(args)
  for line in io.lines(args[1]) do
    local kind, a, b = line:match("^(%a+)\t([^\t]*)\t?(.*)$")
    if kind == "session" then
      sessions[#sessions + 1] = {a, b}
    elseif kind == "product" then
      products[#products + 1] = a
    end
  end
end

request = function()
  n = n + 1
  local s = sessions[(n % #sessions) + 1]
  local p = products[(math.floor(n / #sessions) % #products) + 1]
  return wrk.format("POST", nil, {
    ["Cookie"] = s[1], ["X-CSRFToken"] = s[2], ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, p .. "&quantity=1")
end
