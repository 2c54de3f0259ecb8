-- Already-encrypted inline PGP passes with only the trace field added.
-- miltertest ends silently on error(): say why, then exit non-zero.
local function fail(m) io.stderr:write(m .. "\n"); os.exit(1) end
local sock = os.getenv("CM_SOCKET")
local conn = mt.connect("unix:" .. sock, 40, 0.25)
if conn == nil then fail("cannot connect") end
mt.macro(conn, SMFIC_CONNECT, "{client_addr}", "203.0.113.9")
mt.conninfo(conn, "mx.ext.example", "203.0.113.9")
mt.mailfrom(conn, "<sender@ext.example>")
mt.rcptto(conn, "<alice@example.org>")
mt.header(conn, "Subject", " already encrypted")
-- As an MTA does: no end-of-headers step when the milter declined it.
if not mt.test_option(conn, SMFIP_NOEOH) then mt.eoh(conn) end
local f = assert(io.open(os.getenv("CM_CIPHERTEXT"), "rb"))
local ct = f:read("*a")
f:close()
mt.bodystring(conn, (ct:gsub("\r?\n", "\r\n")))
mt.eom(conn)
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("eom reply") end
if mt.eom_check(conn, MT_BODYCHANGE) then fail("ciphertext re-encrypted") end
if not mt.eom_check(conn, MT_HDRADD, "X-Cryptmilter", " skipped already-encrypted") then
  fail("no skipped trace")
end
mt.disconnect(conn)
