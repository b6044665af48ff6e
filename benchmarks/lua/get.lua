-- GET the URL wrk was given, again and again.
dofile("report.lua")
