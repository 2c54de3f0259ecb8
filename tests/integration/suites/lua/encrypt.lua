-- Inbound mail to a recipient with a key: Content-Type replaced by
-- multipart/encrypted, other Content-* fields dropped, trace added, body replaced.
-- miltertest ends silently on error(): say why, then exit non-zero.
-- Keep the message this small: miltertest (opendkim-tools 2.11) overflows a
-- stack buffer ("stack smashing detected") when a replaced body is much
-- over about 1.1 KB (1049 bytes pass, 1127 do not).
local function fail(m) io.stderr:write(m .. "\n"); os.exit(1) end
local sock = os.getenv("CM_SOCKET")
local conn = mt.connect("unix:" .. sock, 40, 0.25)
if conn == nil then fail("cannot connect to " .. sock) end
if not mt.test_action(conn, SMFIF_CHGBODY) then fail("CHGBODY not requested") end
if not mt.test_action(conn, SMFIF_CHGHDRS) then fail("CHGHDRS not requested") end
if not mt.test_action(conn, SMFIF_ADDHDRS) then fail("ADDHDRS not requested") end
if not mt.test_option(conn, SMFIP_HDR_LEADSPC) then fail("HDR_LEADSPC not requested") end
-- Steps that can only continue are sent without waiting for a reply; RCPT,
-- which can refuse, keeps its.
for _, o in ipairs({SMFIP_NR_CONN, SMFIP_NR_MAIL, SMFIP_NR_HDR, SMFIP_NR_BODY, SMFIP_NOEOH}) do
  if not mt.test_option(conn, o) then fail("no-reply step " .. o .. " not requested") end
end
for _, o in ipairs({SMFIP_NR_RCPT, SMFIP_NOHDRS, SMFIP_NOBODY}) do
  if mt.test_option(conn, o) then fail("step option " .. o .. " requested") end
end
mt.macro(conn, SMFIC_CONNECT, "{client_addr}", "203.0.113.9", "{daemon_name}", "smtpd")
if mt.conninfo(conn, "mx.ext.example", "203.0.113.9") ~= nil then fail("conninfo") end
mt.macro(conn, SMFIC_MAIL, "i", "LUA1")
if mt.mailfrom(conn, "<sender@ext.example>") ~= nil then fail("mailfrom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("mailfrom reply") end
if mt.rcptto(conn, "<alice@example.org>") ~= nil then fail("rcptto") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("rcpt reply") end
mt.header(conn, "From", " sender@ext.example")
mt.header(conn, "Subject", " miltertest canary")
mt.header(conn, "Content-Type", " text/plain; charset=us-ascii")
mt.header(conn, "Content-Transfer-Encoding", " 7bit")
mt.header(conn, "X-Cryptmilter", " encrypted forged-by-sender")
-- As an MTA does: no end-of-headers step when the milter declined it.
if not mt.test_option(conn, SMFIP_NOEOH) then mt.eoh(conn) end
mt.bodystring(conn, "canary body line\r\n")
if mt.eom(conn) ~= nil then fail("eom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("eom reply " .. tostring(mt.getreply(conn))) end
if not mt.eom_check(conn, MT_HDRCHANGE, "Content-Type") then fail("Content-Type not changed") end
-- Header protection (the default): the Subject outside is [...].
if not mt.eom_check(conn, MT_HDRCHANGE, "Subject", " [...]") then fail("Subject not protected") end
if mt.eom_check(conn, MT_HDRCHANGE, "Subject", " miltertest canary") then fail("Subject kept") end
if not mt.eom_check(conn, MT_HDRDELETE, "Content-Transfer-Encoding") then fail("CTE kept") end
if not mt.eom_check(conn, MT_HDRDELETE, "X-Cryptmilter") then fail("forged trace kept") end
if not mt.eom_check(conn, MT_HDRADD, "X-Cryptmilter", " encrypted pgp-mime") then
  fail("trace field not added")
end
if not mt.eom_check(conn, MT_HDRADD, "MIME-Version", " 1.0") then fail("MIME-Version") end
if not mt.eom_check(conn, MT_BODYCHANGE) then fail("body not replaced") end
if mt.eom_check(conn, MT_BODYCHANGE, "canary body line\r\n") then fail("body kept") end
mt.disconnect(conn)
