-- MissingKeyAction tempfail: a keyless recipient defers the whole message
-- with 451 4.7.4 and no modification is made.
-- miltertest ends silently on error(): say why, then exit non-zero.
local function fail(m) io.stderr:write(m .. "\n"); os.exit(1) end
local sock = os.getenv("CM_SOCKET")
local conn = mt.connect("unix:" .. sock, 40, 0.25)
if conn == nil then fail("cannot connect") end
mt.macro(conn, SMFIC_CONNECT, "{client_addr}", "203.0.113.9")
mt.conninfo(conn, "mx.ext.example", "203.0.113.9")
mt.mailfrom(conn, "<sender@ext.example>")
mt.rcptto(conn, "<alice@example.org>")
mt.rcptto(conn, "<nobody@example.org>")
mt.header(conn, "Subject", " canary")
-- As an MTA does: no end-of-headers step when the milter declined it.
if not mt.test_option(conn, SMFIP_NOEOH) then mt.eoh(conn) end
mt.bodystring(conn, "canary\r\n")
mt.eom(conn)
if mt.getreply(conn) ~= SMFIR_REPLYCODE then fail("want a reply code, got " .. tostring(mt.getreply(conn))) end
-- miltertest matches a reply only with all three of code, enhanced code and text.
if not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.4",
                    "No encryption key for recipient, delivery deferred: nobody@example.org") then
  fail("reply is not 451 4.7.4 naming nobody@example.org")
end
if mt.eom_check(conn, MT_BODYCHANGE) or mt.eom_check(conn, MT_HDRADD) then
  fail("modified a refused message")
end
mt.disconnect(conn)
