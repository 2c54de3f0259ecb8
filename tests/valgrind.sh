#!/bin/sh
# valgrind.sh BUILDDIR units K N - the unit test binaries whose place in the
# sorted list is K modulo N (not forked, so valgrind sees the test code);
# valgrind.sh BUILDDIR filter - the pipe filter on an encrypted, a skipped
# and a refused message, and outbound on a decrypted, a replayed, an
# unsigned and an inner-signed one, and S/MIME both ways. Each must run
# without memory errors or leaks. In parts, so that ctest runs them in
# whatever slots are free rather than as one test of a quarter of an hour.
set -eu
build=$1
part=$2
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
status=0
if [ "$part" = units ]; then
    k=$3 n=$4 i=0 ran=0
    for t in "$build"/tests/test_cm_*; do
        i=$((i + 1))
        [ $((i % n)) -eq "$k" ] || continue
        ran=$((ran + 1))
        if ! CK_FORK=no $vg "$t" >/dev/null 2>"$build/tests/tmp/vg-$(basename "$t").log"; then
            echo "valgrind: $(basename "$t") failed:"; cat "$build/tests/tmp/vg-$(basename "$t").log"
            status=1
        fi
    done
    # A part that ran nothing checked nothing.
    [ "$ran" -gt 0 ] || { echo "valgrind: part $k of $n has no test binary"; exit 1; }
    [ $status -eq 0 ] && echo "valgrind: $ran unit test binaries clean"
    exit $status
fi
[ "$part" = filter ] || { echo "usage: valgrind.sh BUILDDIR units K N | filter" >&2; exit 64; }
# The pipe filter, once per OpenPGP backend.
for backend in gpgme rnp; do
conf="$build/tests/tmp/vg.conf"
printf 'KeyringDir %s/gnupg\nSpoolDir %s/tests/tmp\nMemoryBufferSize 4K\nMissingKeyAction reject\n' \
    "$CM_TEST_KEYRING" "$build" > "$conf"
printf 'OpenPGPBackend %s\n' "$backend" >> "$conf"
msg="$build/tests/tmp/vg.eml"
{ printf 'From: a@ext.example\nSubject: valgrind\nContent-Type: text/plain\n\n'; seq 1 3000; } > "$msg"
run() {
    rc=0
    $vg "$build/milter/cryptmilter-filter" -c "$conf" --direction "${dir:-inbound}" \
        --from "${from:-a@ext.example}" "$@" < "$msg" > /dev/null 2>"$build/tests/tmp/vg-filter.log" \
        || rc=$?
    if [ "$rc" -eq 99 ]; then
        echo "valgrind ($backend): cryptmilter-filter $*:"; cat "$build/tests/tmp/vg-filter.log"; status=1
    fi
}
run --to alice@example.org
run --to nobody@example.org
run --to alice@example.org --to bob@example.org

# Outbound: messages of alice's, encrypted to the gateway key.
gw=$(cat "$CM_TEST_KEYRING/export/gateway.fpr")
rm -rf "$build/tests/tmp/vg-replay"
printf 'GatewayKeys %s\nReplayCache %s/tests/tmp/vg-replay\n' "$gw" "$build" >> "$conf"
outbound() {    # outbound NAME GPG-OPTIONS...: $msg becomes a PGP/MIME message of alice's
    name=$1
    shift
    { printf 'Content-Type: text/plain\r\n\r\n%s %s\r\n' "$name" "$$"; seq 1 2000; } |
        GNUPGHOME="$CM_TEST_KEYRING/sender" gpg --batch --quiet --trust-model always --armor \
            --encrypt -r "$gw" "$@" > "$build/tests/tmp/vg.asc"
    { printf 'From: alice@example.org\nSubject: vg\nMIME-Version: 1.0\n'
      printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\n\n'
      printf -- '--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b\n'
      printf 'Content-Type: application/octet-stream\n\n'
      cat "$build/tests/tmp/vg.asc"; printf -- '\n--b--\n'; } > "$msg"
}
outbound signed --sign -u alice@example.org
dir=outbound from=alice@example.org run --to x@ext.example
dir=outbound from=alice@example.org run --to x@ext.example     # the replay
outbound unsigned
dir=outbound from=alice@example.org run --to x@ext.example
# Signed inside (RFC 3156 multipart/signed), then encrypted.
part="$build/tests/tmp/vg-part"
rm -f "$part.asc"
printf 'Content-Type: text/plain\r\n\r\ninner %s\r\n' "$$" > "$part"
GNUPGHOME="$CM_TEST_KEYRING/sender" gpg --batch --quiet --armor --detach-sign -u alice@example.org \
    -o "$part.asc" "$part"
{ printf 'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=s\r\n\r\n'
  printf -- '--s\r\n'; cat "$part"; printf -- '\r\n--s\r\n'
  printf 'Content-Type: application/pgp-signature\r\n\r\n'; cat "$part.asc"
  printf -- '\r\n--s--\r\n'; } > "$part.ent"
{ printf 'From: alice@example.org\nSubject: vg\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\n\n'
  printf -- '--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b\n'
  printf 'Content-Type: application/octet-stream\n\n'
  GNUPGHOME="$CM_TEST_KEYRING/sender" gpg --batch --quiet --trust-model always --armor \
      --encrypt -r "$gw" < "$part.ent"
  printf -- '\n--b--\n'; } > "$msg"
dir=outbound from=alice@example.org run --to x@ext.example
done
# S/MIME inbound (once: it does not change with the OpenPGP backend): RSA
# and EC recipients, CBC and GCM, OAEP; an unreadable CertificateDir.
msg="$build/tests/tmp/vg.eml"
{ printf 'From: a@ext.example\nSubject: valgrind\nContent-Type: text/plain\n\n'; seq 1 3000; } > "$msg"
for opts in "SMIMECipher aes256-cbc" "SMIMECipher aes256-gcm" "SMIMEKeyTransport oaep" \
            "CertificateDir $build/tests/tmp/no-such-dir"; do
    printf 'KeyringDir %s/gnupg\nSpoolDir %s/tests/tmp\nMemoryBufferSize 4K\n' \
        "$CM_TEST_KEYRING" "$build" > "$conf"
    case $opts in CertificateDir*) ;; *) printf 'CertificateDir %s/smime/certs\n' "$CM_TEST_KEYRING" >> "$conf" ;; esac
    printf '%s\n' "$opts" >> "$conf"
    backend="smime $opts" dir=inbound run --to sam@example.org --to pat@example.org
done
# S/MIME outbound: alice's messages signed detached and opaque, enveloped
# to the gateway's RSA (CBC) and EC (GCM) certificates; the replay; an
# unsigned one; one signed by a certificate of no CA we trust.
S="$CM_TEST_KEYRING/smime"
rm -rf "$build/tests/tmp/vg-replay"
printf 'KeyringDir none
SpoolDir %s/tests/tmp
MemoryBufferSize 4K
' "$build" > "$conf"
printf 'GatewayCertificates %s/gateway/rsa.pem %s/gateway/ec.pem
TrustAnchors %s/ca.pem
' \
    "$S" "$S" "$S" >> "$conf"
printf 'ReplayCache %s/tests/tmp/vg-replay
' "$build" >> "$conf"
smime_out() {   # smime_out SIGNER-CERT SIGNER-KEY GATEWAY-CERT CIPHER [SIGN-OPTIONS...]
    cert=$1 key=$2 to=$3 cipher=$4
    shift 4
    { printf 'Content-Type: text/plain\r\n\r\nsmime %s %s\r\n' "$cert" "$$"; seq 1 2000; } |
        if [ -n "$cert" ]; then
            openssl cms -sign -binary -crlfeol -signer "$cert" -inkey "$key" "$@"
        else
            cat
        fi | openssl cms -encrypt -binary -crlfeol "$cipher" "$to" > "$part.p7m"
    { printf 'From: alice@example.org\r\nSubject: vg\r\n'; cat "$part.p7m"; } > "$msg"
}
smime_out "$S/certs/alice.pem" "$S/keys/alice.key" "$S/gateway-rsa.crt" -aes256
backend=smime-out dir=outbound from=alice@example.org run --to x@ext.example
backend=smime-out dir=outbound from=alice@example.org run --to x@ext.example     # the replay
smime_out "$S/certs/alice.pem" "$S/keys/alice.key" "$S/gateway-ec.crt" -aes-256-gcm -nodetach
backend=smime-out dir=outbound from=alice@example.org run --to x@ext.example
smime_out "" "" "$S/gateway-rsa.crt" -aes256
backend=smime-out dir=outbound from=alice@example.org run --to x@ext.example
smime_out "$S/outsider.pem" "$S/keys/outsider.key" "$S/gateway-rsa.crt" -aes256
backend=smime-out dir=outbound from=alice@example.org run --to x@ext.example
[ $status -eq 0 ] && echo "valgrind: all clean"
exit $status
