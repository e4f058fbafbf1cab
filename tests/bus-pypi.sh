#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A PyPI index behind nginx + auth_pam + pam_pkgtoken, driven by the real clients: Debian's
# twine and pip.  contrib/nginx/pkgtoken-pypi.conf and pam.d-pkgtoken-pypi, one server block
# and one PAM service for every project, run with only the listen address, the root, the
# module's path and bus, and the gate's socket changed:
#
#   pip   -> nginx GET /simple/NAME/ (autoindex: a PEP 503 page), GET /simple/NAME/FILE
#   twine -> nginx POST /legacy/NAME/ -> pkgtoken-upload-gate -> tests/pypi-index.py (a fixture
#            that writes the file where nginx serves it)
#
# Checks: uploads with a package token and with account + token, multi-file `twine upload
# dist/*`; an upload of another project's files to /legacy/demo-pkg/ refused with 403 and
# nothing stored; pip with a read-only token and with password + code; a multi-file upload
# with a publish token + code; tokens of other projects refused for reads; one PAM
# conversation per request; the audit; no secret in any log.
#
# The harness (pam_wrapper, the workers' user, starting and stopping nginx) is tests/lib-nginx.sh.

# shellcheck disable=SC2153 # the *_SECRET and *_ID variables are set by must_create_token
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/lib-nginx.sh"

need oathtool jq
nginx_setup
for f in pkgtoken-pypi.conf pam.d-pkgtoken-pypi; do
        [ -f "$CONTRIB/$f" ] || bail_out "contrib/nginx/$f not found"
done
: "${UPLOAD_GATE:=$top_builddir/upload-gate/pkgtoken-upload-gate}"
[ -x "$UPLOAD_GATE" ] || bail_out "pkgtoken-upload-gate not built: $UPLOAD_GATE"
# Debian's python3 with Debian's pip and twine: the clients an operator's CI installs.
: "${PYTHON:=/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=$(command -v python3) || missing_part python3 python3
: "${TWINE:=$(command -v twine || echo /usr/bin/twine)}"
[ -x "$TWINE" ] || missing_part twine twine
"$PYTHON" -m pip --version >/dev/null 2>&1 || missing_part "pip for $PYTHON" python3-pip

# The clients talk to 127.0.0.1 only, with no user configuration.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy PIP_INDEX_URL PIP_EXTRA_INDEX_URL \
      TWINE_USERNAME TWINE_PASSWORD TWINE_REPOSITORY TWINE_REPOSITORY_URL
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME=$TMP/home PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
       PYTHONDONTWRITEBYTECODE=1 PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
mkdir -p "$HOME"

PYPI=$NGX/pypi                  # the PEP 503 tree: PYPI/simple/NAME/FILE
mkdir -p "$PYPI/simple"

nginx_daemon

# --- accounts, projects, tokens ----------------------------------------------------------------------
PW_ALICE='alice password 1'
PW_TOM='tom password 1'
for a in alice:"$PW_ALICE" bob:"bob password 1" tom:"$PW_TOM"; do
        new_account "${a%%:*}" "${a#*:}" || bail_out "cannot create account ${a%%:*}"
done
mgr CreatePackage ssas demo-pkg none 1 alice >/dev/null || bail_out "cannot create package demo-pkg"
mgr CreatePackage ssas other-pkg none 1 bob >/dev/null || bail_out "cannot create package other-pkg"
mgr CreatePackage ssas code-pkg 2fa-only 1 tom >/dev/null || bail_out "cannot create package code-pkg"
must_create_token DEMO alice --type=automation --package=demo-pkg --package-owned --description="demo-pkg release"
must_create_token AUTO alice --type=automation --description="alice ci"
must_create_token RO alice --type=read-only --description="alice read"
must_create_token OTHER bob --type=automation --package=other-pkg --package-owned --description="other-pkg release"
must_create_token TOMPUB tom --type=publish --description="tom laptop"
# alice and tom have two-factor authentication (tokens made first: a 2FA account's need a code);
# tom's publishes need a code too.
enroll_2fa alice || bail_out "cannot enrol alice in 2FA"
enroll_2fa tom auth-and-writes || bail_out "cannot enrol tom in 2FA"

# --- the PAM service: contrib's, with a first line that counts the conversations -------------------
# pam_exec runs the script for every authentication nginx starts; the test counts the lines.
PAM_COUNT=$TMP/pam-count
: >"$PAM_COUNT.log"
chmod 0666 "$PAM_COUNT.log"
# shellcheck disable=SC2016 # ($PAM_TYPE and $PAM_USER are the script's, from pam_exec)
printf '#!/bin/sh\necho "$PAM_TYPE $PAM_USER" >>%s.log\nexit 0\n' "$PAM_COUNT" >"$PAM_COUNT.sh"
chmod 0755 "$PAM_COUNT.sh"
nginx_pam_service pkgtoken-pypi "$CONTRIB/pam.d-pkgtoken-pypi"
sed -i "0,/^auth /s|^auth |auth     optional  pam_exec.so quiet $PAM_COUNT.sh\n&|" "$PAM_DIR/pkgtoken-pypi"
if grep -q "^auth .*$PAM_MODULE bus=.*otp=append layout=pypi" "$PAM_DIR/pkgtoken-pypi" &&
   grep -q "^account .*$PAM_MODULE bus=" "$PAM_DIR/pkgtoken-pypi"; then
        pass "PAM service from contrib/nginx/pam.d-pkgtoken-pypi"
else
        fail "PAM service from contrib/nginx/pam.d-pkgtoken-pypi"
        diag_file "service" "$PAM_DIR/pkgtoken-pypi"
fi
# pam_mark, then pam_calls: the number of authentications since the mark.
pam_mark() {
        PAM_SEEN=$(grep -c '^auth ' "$PAM_COUNT.log")
}
pam_calls() {
        echo $(($(grep -c '^auth ' "$PAM_COUNT.log") - PAM_SEEN))
}

# --- the index fixture and the gate -----------------------------------------------------------------
start_fixture index "$TMP/index.port" "$PYTHON" "$top_srcdir/tests/pypi-index.py" "$PYPI" "$TMP/index.port"
INDEX_PID=$FIXTURE_PID
INDEX_PORT=$FIXTURE_PORT

GATE_DIR=$TMP/gate
GATE_SOCK=$GATE_DIR/gate.sock
mkdir -p "$GATE_DIR/spool"
chmod 0755 "$GATE_DIR"
# Socket-activated as its systemd unit runs it (systemd-socket-activate passes the socket as
# fd 3, LISTEN_FDS=1), or with --listen= where that tool is missing.
if command -v systemd-socket-activate >/dev/null 2>&1; then
        GATE_HOW=socket-activated
        systemd-socket-activate -l "$GATE_SOCK" "$UPLOAD_GATE" --backend="127.0.0.1:$INDEX_PORT" \
                --spool-dir="$GATE_DIR/spool" --bus="$PKGTOKEN_BUS_ADDRESS" </dev/null >"$TMP/gate.log" 2>&1 &
else
        GATE_HOW="--listen=unix:..."
        "$UPLOAD_GATE" --listen="unix:$GATE_SOCK" --backend="127.0.0.1:$INDEX_PORT" --spool-dir="$GATE_DIR/spool" \
                --bus="$PKGTOKEN_BUS_ADDRESS" </dev/null >"$TMP/gate.log" 2>&1 &
fi
GATE_PID=$!
_pids+=("$GATE_PID")
wait_for "$PKGTOKEN_TEST_TIMEOUT" test -S "$GATE_SOCK" || {
        diag_file "gate log" "$TMP/gate.log"
        bail_out "pkgtoken-upload-gate did not start"
}
# nginx's workers connect to it (in production: SocketGroup=www-data, mode 0660).
chmod 0666 "$GATE_SOCK"
pass "pkgtoken-upload-gate ($GATE_HOW) on $GATE_SOCK, in front of the index fixture on 127.0.0.1:$INDEX_PORT"
nginx_workers_can_reach "$GATE_SOCK"

# --- nginx: contrib/nginx/pkgtoken-pypi.conf -----------------------------------------------------------
# shellcheck disable=SC2317 # (reached: called by write_nginx_conf)
nginx_server_conf() {
        contrib_server_block "$CONTRIB/pkgtoken-pypi.conf" "$1" /srv/pypi "$PYPI" |
                sed -e "s|unix:/run/pkgtoken-upload-gate\.sock|unix:$GATE_SOCK|"
}
# shellcheck disable=SC2317 # (reached: called by nginx_test)
replaced() {
        ! grep -v '^[[:space:]]*#' "$NGX/server.conf" | grep -q '/srv/pypi\|/run/pkgtoken-upload-gate'
}
NGINX_TEST_EXTRA=replaced nginx_test "nginx -t accepts contrib/nginx/pkgtoken-pypi.conf (listen, root and gate socket replaced)"
start_nginx || bail_out "nginx did not start"
pass "nginx (master $NGINX_PID) listens on 127.0.0.1:$PORT"
nginx_workers_run_as

# --- distributions, written by hand (python3 -m build may be missing) ----------------------------------
# make_dist DIR PROJECT VERSION: an sdist and a wheel of PROJECT VERSION in DIR, with the
# metadata twine reads (PKG-INFO, METADATA).
make_dist() {
        "$PYTHON" - "$@" <<'EOF'
import io, os, re, sys, tarfile, zipfile, hashlib, base64
out, project, version = sys.argv[1:4]
dist = re.sub(r"[-_.]+", "_", project).lower()
os.makedirs(out, exist_ok=True)
meta = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: a test project of pkgtoken\n"
        "License: LGPL-2.1-or-later\nRequires-Python: >=3.7\nDescription-Content-Type: text/plain\n\n"
        "A project that tests/bus-pypi.sh uploads.\n" % (project, version)).encode()
code = b"VALUE = 1\n"

def add(t, name, data):
    i = tarfile.TarInfo(name)
    i.size, i.mode, i.mtime = len(data), 0o644, 1700000000
    t.addfile(i, io.BytesIO(data))

with tarfile.open(os.path.join(out, "%s-%s.tar.gz" % (dist, version)), "w:gz") as t:
    top = "%s-%s/" % (dist, version)
    add(t, top + "PKG-INFO", meta)
    add(t, top + "pyproject.toml", b'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    add(t, top + "setup.cfg", ("[metadata]\nname = %s\nversion = %s\n" % (project, version)).encode())
    add(t, top + dist + "/__init__.py", code)

info = "%s-%s.dist-info/" % (dist, version)
files = {dist + "/__init__.py": code, info + "METADATA": meta,
         info + "WHEEL": b"Wheel-Version: 1.0\nGenerator: pkgtoken-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = ""
for name, data in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += "%s,sha256=%s,%d\n" % (name, h, len(data))
record += info + "RECORD,,\n"
files[info + "RECORD"] = record.encode()
with zipfile.ZipFile(os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, version)), "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in files.items():
        z.writestr(name, data)
EOF
}
for d in demo-pkg:1.0 demo-pkg:1.1 demo-pkg:1.2 other-pkg:1.0 code-pkg:1.0; do
        make_dist "$TMP/dist/${d/:/-}" "${d%%:*}" "${d#*:}" || bail_out "cannot write the distributions of $d"
done
DIST=$TMP/dist
if [ -f "$DIST/demo-pkg-1.0/demo_pkg-1.0.tar.gz" ] && [ -f "$DIST/demo-pkg-1.0/demo_pkg-1.0-py3-none-any.whl" ] &&
   run "$TWINE" check "$DIST"/demo-pkg-1.0/* && [ "$RUN_RC" -eq 0 ]; then
        pass "an sdist and a wheel of demo-pkg 1.0, which twine check accepts"
else
        fail "an sdist and a wheel of demo-pkg 1.0, which twine check accepts"
        diag_run
fi

# --- uploads with twine -----------------------------------------------------------------------------
# twine_upload DESC WANT(0|fail) PROJECT-URL USER PASSWORD FILE...: one `twine upload`.
twine_upload() {
        local desc=$1 want=$2 url=$BASE/legacy/${3:+$3/} user=$4 password=$5
        shift 5
        run timeout 120 "$TWINE" upload --non-interactive --disable-progress-bar \
                --repository-url "$url" -u "$user" -p "$password" "$@"
        if { [ "$want" = 0 ] && [ "$RUN_RC" -eq 0 ]; } || { [ "$want" != 0 ] && [ "$RUN_RC" -ne 0 ]; }; then
                pass "$desc"
        else
                fail "$desc" "twine exit code $RUN_RC"
                diag_run
                diag "nginx error.log (last lines):"
                tail -n 10 "$NGX/error.log" | sed -e 's/^/#     /'
                diag_file "gate log" "$TMP/gate.log"
        fi
}
# stored PROJECT FILE: a test that FILE is in the index, byte for byte.
stored() {
        local f=$PYPI/simple/$1/$2 src
        src=$(find "$DIST" -name "$2" | head -n 1)
        if [ -f "$f" ] && cmp -s "$f" "$src"; then
                pass "  ... $2 is in the index"
        else
                fail "  ... $2 is in the index" "$f missing or not the file uploaded"
        fi
}
pam_mark
: >"$NGX/access.log"
twine_upload "twine upload of demo-pkg's wheel to /legacy/demo-pkg/, __token__ + demo-pkg's token" 0 \
        demo-pkg __token__ "$DEMO_SECRET" "$DIST/demo-pkg-1.0/demo_pkg-1.0-py3-none-any.whl"
stored demo-pkg demo_pkg-1.0-py3-none-any.whl
is "$(pam_calls)" 1 "  ... one PAM conversation for the one file"
pam_mark
twine_upload "twine upload dist/* (sdist and wheel of demo-pkg 1.1), __token__ + demo-pkg's token" 0 \
        demo-pkg __token__ "$DEMO_SECRET" "$DIST"/demo-pkg-1.1/*
stored demo-pkg demo_pkg-1.1.tar.gz
stored demo-pkg demo_pkg-1.1-py3-none-any.whl
is "$(pam_calls)" 2 "  ... one PAM conversation per file"
twine_upload "twine upload dist/* of demo-pkg 1.2, alice + her automation token" 0 \
        demo-pkg alice "$AUTO_SECRET" "$DIST"/demo-pkg-1.2/*
stored demo-pkg demo_pkg-1.2.tar.gz
stored demo-pkg demo_pkg-1.2-py3-none-any.whl

# Another project's files to /legacy/demo-pkg/: PAM allows a publish of demo-pkg, the gate
# refuses what the body says.
twine_upload "twine upload of other-pkg's sdist to /legacy/demo-pkg/, demo-pkg's token: refused" fail \
        demo-pkg __token__ "$DEMO_SECRET" "$DIST/other-pkg-1.0/other_pkg-1.0.tar.gz"
like "$RUN_OUT$RUN_ERR" "403" "  ... 403 Forbidden"
like "$(cat "$TMP/gate.log")" "refused POST upload for project 'demo-pkg'" "  ... the gate's log says why"
# PAM allowed the URL's project; the gate's refusal of the body is in the audit too, with the
# token that tried.
mgr_json ListAuditEvents stu demo-pkg 0 1000 | jq -c "[.data[0][] | with_entries(.value |= .data)]" >"$TMP/audit-gate.json"
audit_has "  ... the gate's refusal is in pkgtokend's audit, with the token" "$TMP/audit-gate.json" \
        refused "Token \"demo-pkg release\"" "$DEMO_ID"
like "$(jq -r '.[] | select(.result == "refused") | .reason' "$TMP/audit-gate.json")" \
        "uid [0-9]+: the upload's project is not the one in the URL" "  ... with the gate's reason"
no_file "$PYPI/simple/other-pkg"
no_file "$PYPI/simple/demo-pkg/other_pkg-1.0.tar.gz"
# The same body with curl, straight: a 403 from the gate with its reason.
printf 'x' >"$TMP/x"
expect_http 403 "curl POST /legacy/demo-pkg/ with name=other-pkg, demo-pkg's token" -u "__token__:$DEMO_SECRET" \
        -F ":action=file_upload" -F "name=other-pkg" -F "version=1.0" \
        -F "content=@$DIST/other-pkg-1.0/other_pkg-1.0.tar.gz" /legacy/demo-pkg/
like "$(cat "$TMP/http.body")" "pkgtoken-upload-gate: upload refused" "  ... the answer says the gate refused it"
no_file "$PYPI/simple/other-pkg"

twine_upload "twine upload to /legacy/other-pkg/, demo-pkg's token: refused" fail \
        other-pkg __token__ "$DEMO_SECRET" "$DIST/other-pkg-1.0/other_pkg-1.0.tar.gz"
like "$RUN_OUT$RUN_ERR" "401" "  ... 401 (pkgtokend refused it)"
no_file "$PYPI/simple/other-pkg"
twine_upload "twine upload to /legacy/demo-pkg/, alice + read-only token: refused" fail \
        demo-pkg alice "$RO_SECRET" "$DIST/demo-pkg-1.0/demo_pkg-1.0.tar.gz"
no_file "$PYPI/simple/demo-pkg/demo_pkg-1.0.tar.gz"
twine_upload "twine upload to /legacy/ (no project in the URL), demo-pkg's token: refused" fail \
        "" __token__ "$DEMO_SECRET" "$DIST/demo-pkg-1.0/demo_pkg-1.0.tar.gz"
no_file "$PYPI/simple/demo-pkg/demo_pkg-1.0.tar.gz"
twine_upload "twine upload of other-pkg to /legacy/other-pkg/, other-pkg's token" 0 \
        other-pkg __token__ "$OTHER_SECRET" "$DIST/other-pkg-1.0/other_pkg-1.0-py3-none-any.whl"
stored other-pkg other_pkg-1.0-py3-none-any.whl

# --- reads: pages and files from one server block and one PAM service ------------------------------
pam_mark
expect_http 200 "GET /simple/demo-pkg/, alice + read-only token" -u "alice:$RO_SECRET" /simple/demo-pkg/
like "$(cat "$TMP/http.body")" 'href="demo_pkg-1.1-py3-none-any.whl"' "  ... a PEP 503 page: links to the files"
is "$(pam_calls)" 1 "  ... one PAM conversation for the page (try_files, no index redirect)"
expect_http 200 "GET /simple/demo-pkg/demo_pkg-1.1.tar.gz, __token__ + demo-pkg's token" \
        -u "__token__:$DEMO_SECRET" /simple/demo-pkg/demo_pkg-1.1.tar.gz
if cmp -s "$TMP/http.body" "$DIST/demo-pkg-1.1/demo_pkg-1.1.tar.gz"; then
        pass "  ... the file"
else
        fail "  ... the file"
fi
expect_http 401 "GET /simple/demo-pkg/demo_pkg-1.1.tar.gz, __token__ + other-pkg's token" \
        -u "__token__:$OTHER_SECRET" /simple/demo-pkg/demo_pkg-1.1.tar.gz
expect_http 401 "GET /simple/demo-pkg/, __token__ + other-pkg's token" -u "__token__:$OTHER_SECRET" /simple/demo-pkg/
expect_http 200 "GET /simple/other-pkg/, __token__ + other-pkg's token" -u "__token__:$OTHER_SECRET" /simple/other-pkg/
expect_http 401 "GET /simple/ (names no project), alice + read-only token" -u "alice:$RO_SECRET" /simple/
expect_http 401 "GET /simple/demo-pkg/, no credentials" /simple/demo-pkg/
like "$(tr -d '\r' <"$TMP/http.headers")" 'WWW-Authenticate: Basic realm="pkgtoken pypi"' \
        "  ... WWW-Authenticate: Basic realm=\"pkgtoken pypi\""
expect_http 404 "GET / (nothing else is served)" -u "alice:$RO_SECRET" /

# --- pip -----------------------------------------------------------------------------------------------
# urlencode STRING
urlencode() {
        "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}
# pip_download USER PASSWORD REQUIREMENT DIR: pip download of a wheel with credentials in the
# index URL; sets PIP_RC.
pip_download() {
        local url
        url="http://$(urlencode "$1"):$(urlencode "$2")@127.0.0.1:$PORT/simple/"
        rm -rf "$4"
        run timeout 120 "$PYTHON" -m pip download --no-deps --no-input --only-binary=:all: \
                --index-url "$url" -d "$4" "$3"
        PIP_RC=$RUN_RC
}
# pip_refused DESC DIR: the pip_download just made failed and fetched nothing into DIR.
pip_refused() {
        if [ "$PIP_RC" -ne 0 ] && [ ! -e "$2/demo_pkg-1.1-py3-none-any.whl" ]; then
                pass "$1"
        else
                fail "$1"
                diag_run
        fi
}
pam_mark
pip_download alice "$RO_SECRET" demo-pkg==1.1 "$TMP/dl-ro"
if [ "$PIP_RC" -eq 0 ] && cmp -s "$TMP/dl-ro/demo_pkg-1.1-py3-none-any.whl" "$DIST/demo-pkg-1.1/demo_pkg-1.1-py3-none-any.whl"; then
        pass "pip download --no-input demo-pkg==1.1, alice + read-only token: the wheel"
else
        fail "pip download --no-input demo-pkg==1.1, alice + read-only token: the wheel"
        diag_run
fi
is "$(pam_calls)" 2 "  ... two requests (page, file), one PAM conversation each"
pip_download __token__ "$OTHER_SECRET" demo-pkg==1.1 "$TMP/dl-other"
pip_refused "pip download --no-input demo-pkg, other-pkg's token: fails, nothing fetched" "$TMP/dl-other"
unlike "$RUN_OUT$RUN_ERR" "Traceback" "  ... an error, no traceback (--no-input)"
rm -rf "$TMP/site"
run timeout 120 "$PYTHON" -m pip install --no-deps --no-input --only-binary=:all: --target "$TMP/site" \
        --index-url "http://__token__:$DEMO_SECRET@127.0.0.1:$PORT/simple/" demo-pkg==1.0
if [ "$RUN_RC" -eq 0 ] && [ -f "$TMP/site/demo_pkg/__init__.py" ]; then
        pass "pip install --no-input demo-pkg==1.0, __token__ + demo-pkg's token"
else
        fail "pip install --no-input demo-pkg==1.0, __token__ + demo-pkg's token"
        diag_run
fi

# One one-time code, several requests: pip (page, then file) and twine (a POST per file).
# pkgtokend accepts the same credentials + code again from the same address while the code is
# valid (pkgtokend/code-reuse.h), so the whole operation passes.
# code_case_start, then the client, then code_case_end DESC OK USER.
code_case_start() {
        ERR_MARK=$(stat -c %s "$NGX/error.log")
}
code_case_end() {
        local desc=$1 ok=$2
        if [ "$ok" -eq 0 ]; then
                pass "$desc"
        else
                fail "$desc"
                diag_run
                diag "nginx error.log since the case started:"
                tail -c +$((ERR_MARK + 1)) "$NGX/error.log" | tail -n 10 | sed -e 's/^/#     /'
        fi
}
next_otp alice || bail_out "no one-time code for alice"
CODE_ALICE=$OTP
code_case_start
pip_download alice "$PW_ALICE$CODE_ALICE" demo-pkg==1.1 "$TMP/dl-code"
[ "$PIP_RC" -eq 0 ] && [ -f "$TMP/dl-code/demo_pkg-1.1-py3-none-any.whl" ] && ok=0 || ok=1
code_case_end "pip download --no-input, alice + password and code (page, then file, one code)" "$ok" alice
wrong_otp alice
pip_download alice "$PW_ALICE$OTP" demo-pkg==1.1 "$TMP/dl-wrong"
pip_refused "pip download, alice + password and a wrong code: fails" "$TMP/dl-wrong"

# A multi-file upload with a publish token and a code (tom: auth-and-writes; code-pkg: 2fa-only).
twine_upload "twine upload to /legacy/code-pkg/, tom + publish token without a code: refused" fail \
        code-pkg tom "$TOMPUB_SECRET" "$DIST/code-pkg-1.0/code_pkg-1.0.tar.gz"
no_file "$PYPI/simple/code-pkg"
next_otp tom || bail_out "no one-time code for tom"
CODE_TOM=$OTP
code_case_start
run timeout 120 "$TWINE" upload --non-interactive --disable-progress-bar \
        --repository-url "$BASE/legacy/code-pkg/" -u tom -p "$TOMPUB_SECRET$CODE_TOM" "$DIST"/code-pkg-1.0/*
[ "$RUN_RC" -eq 0 ] && [ -f "$PYPI/simple/code-pkg/code_pkg-1.0.tar.gz" ] &&
        [ -f "$PYPI/simple/code-pkg/code_pkg-1.0-py3-none-any.whl" ] && ok=0 || ok=1
code_case_end "twine upload dist/* (2 files) to /legacy/code-pkg/, tom + publish token and code" "$ok" tom
if [ -f "$PYPI/simple/code-pkg/code_pkg-1.0-py3-none-any.whl" ] || [ -f "$PYPI/simple/code-pkg/code_pkg-1.0.tar.gz" ]; then
        pass "  ... the first file went through with the code"
else
        fail "  ... the first file went through with the code"
        diag_run
fi

no_worker_crashed

# --- the audit ----------------------------------------------------------------------------------------
run ctl --json audit --package=demo-pkg
audit_has "audit: the uploads to demo-pkg made by Token \"demo-pkg release\", $DEMO_ID" \
        "$RUN_OUT_FILE" "Token \"demo-pkg release\"" "$DEMO_ID" allowed publish 127.0.0.1
audit_has "audit: the upload to demo-pkg made by alice (Token \"alice ci\"), $AUTO_ID" \
        "$RUN_OUT_FILE" "alice (Token \"alice ci\")" "$AUTO_ID" allowed publish
audit_has "audit: the refused upload with the read-only token" "$RUN_OUT_FILE" "$RO_ID" forbidden publish
run ctl --json audit --package=other-pkg
audit_has "audit: demo-pkg's token refused for other-pkg" "$RUN_OUT_FILE" "$DEMO_ID" forbidden publish

# --- no secret in any log -----------------------------------------------------------------------------
no_secret_in_logs "no password, token or code in the logs of nginx, the gate and the index" \
        "$NGX/error.log" "$NGX/access.log" "$NGX/nginx.out" "$TMP/gate.log" "$TMP/index.log" -- \
        "$PW_ALICE" "$PW_TOM" "bob password 1" "$DEMO_SECRET" "$AUTO_SECRET" "$RO_SECRET" "$OTHER_SECRET" \
        "$TOMPUB_SECRET" "$(urlencode "$PW_ALICE")" "$CODE_ALICE" "$CODE_TOM"

# --- stop ----------------------------------------------------------------------------------------------
stop_nginx
_stop_pid "$GATE_PID"
# (no handler: SIGTERM ends it, exit status 128 + 15)
like "$STOP_RC" '^(0|143)$' "pkgtoken-upload-gate stops on SIGTERM"
_stop_pid "$INDEX_PID"

done_testing
