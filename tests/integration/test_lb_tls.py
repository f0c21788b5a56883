"""brace lb terminating TLS, with certificates of a private CA made by the
test (openssl): curl and openssl s_client as clients, --check on good and
bad files."""
import datetime
import os
import re
import subprocess

import pytest

from servers import free_port
from tlsca import CA


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A CA and the leaves the tests share, made once for the module."""
    d = tmp_path_factory.mktemp("ca")
    ca = CA(d / "ca")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca.leaves = {
        "a": ca.issue("a", ["a.test", "www.a.test"], out=d / "certs"),
        "b": ca.issue("b", ["*.b.test"], out=d / "certs"),
        "c": ca.issue("c", ["c.test"], key="rsa", out=d / "certs"),
        "other": ca.issue("other", ["other.test"], out=d / "certs"),
        "soon": ca.issue("soon", ["soon.test"], days=5, out=d / "certs"),
        "old": ca.issue("old", ["old.test"], start=now - datetime.timedelta(days=400),
                        end=now - datetime.timedelta(days=35), out=d / "certs"),
        "cn": ca.issue("cn", [], cn="legacy.test", out=d / "certs"),
    }
    return ca


def conf_text(port, backend, lines, extra_listen=""):
    return ("[global]\nthreads = 1\njournal = off\n[listen web]\nbind = 127.0.0.1:%d\n%s%s"
            "[pool app]\nserver = b1 %s\n" % (port, "".join(l + "\n" for l in lines),
                                             extra_listen, backend))


def check(run, tmp_path, lines):
    conf = tmp_path / "lb.conf"
    conf.write_text(conf_text(free_port(), "127.0.0.1:9", lines))
    return run("lb", "-c", conf, "--check"), conf


# ---- --check ----

def test_check_accepts_bundles_separate_keys_directories_and_warns_of_expiry(run, ca,
                                                                          tmp_path):
    L = ca.leaves
    d = tmp_path / "dir"
    d.mkdir()
    for name in ("a", "b"):
        (d / (name + ".pem")).write_text(open(L[name].bundle).read())
    r, conf = check(run, tmp_path, [
        "tls-cert = " + L["a"].bundle,
        "tls-cert = " + L["c"].cert, "tls-key = " + L["c"].key,
        "tls-cert = " + str(d),
        "tls-cert = " + L["soon"].bundle,
    ])
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout
    assert re.search(r"warning: %s:10: certificate %s \(soon.test\) expires in [45] days" %
                     (re.escape(str(conf)), re.escape(L["soon"].bundle)), r.stderr), r.stderr


def test_check_finds_a_key_beside_its_certificate(run, ca, tmp_path):
    # NAME.crt and NAME.key side by side, no tls-key line
    r, _ = check(run, tmp_path, ["tls-cert = " + ca.leaves["other"].cert])
    assert r.returncode == 0, r.stderr


def test_check_refuses_a_key_that_does_not_match_with_file_and_reason(run, ca, tmp_path):
    L = ca.leaves
    r, conf = check(run, tmp_path, ["tls-cert = " + L["a"].cert, "tls-key = " + L["b"].key])
    assert r.returncode == 1
    assert "%s:6: %s does not match the certificate in %s: key values mismatch" % (
        conf, L["b"].key, L["a"].cert) in r.stderr, r.stderr
    assert "has 1 error" in r.stderr


def test_check_refuses_an_expired_certificate(run, ca, tmp_path):
    L = ca.leaves
    r, conf = check(run, tmp_path, ["tls-cert = " + L["a"].bundle,
                                    "tls-cert = " + L["old"].bundle])
    assert r.returncode == 1
    assert re.search(r"%s:7: certificate %s \(old.test\) expired on \d{4}-\d\d-\d\d" % (
        re.escape(str(conf)), re.escape(L["old"].bundle)), r.stderr), r.stderr


def test_check_refuses_unreadable_and_missing_files_and_says_why(run, ca, tmp_path):
    missing = tmp_path / "missing.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    nokey = tmp_path / "nokey.pem"
    nokey.write_text(open(ca.leaves["a"].cert).read())
    r, conf = check(run, tmp_path, ["tls-cert = %s" % missing, "tls-cert = %s" % garbage,
                                    "tls-cert = %s" % nokey])
    assert r.returncode == 1
    assert "%s:6: cannot read %s: No such file or directory" % (conf, missing) in r.stderr
    assert "%s:7: %s: no certificate in it" % (conf, garbage) in r.stderr
    assert "%s:8: %s: no private key in it, and no key file beside it" % (conf, nokey) \
        in r.stderr
    assert "has 3 errors" in r.stderr
    if os.geteuid() != 0:
        locked = tmp_path / "locked.pem"
        locked.write_text(open(ca.leaves["a"].bundle).read())
        locked.chmod(0)
        r, conf = check(run, tmp_path, ["tls-cert = %s" % locked])
        assert "cannot read %s: Permission denied" % locked in r.stderr


def test_check_refuses_an_encrypted_key(run, ca, tmp_path):
    enc = tmp_path / "enc.key"
    subprocess.run(["openssl", "pkey", "-in", ca.leaves["a"].key, "-aes128", "-passout",
                    "pass:secret", "-out", str(enc)], check=True)
    r, conf = check(run, tmp_path, ["tls-cert = " + ca.leaves["a"].cert, "tls-key = %s" % enc])
    assert r.returncode == 1
    assert "%s: the private key is encrypted; brace lb needs it without a passphrase" % enc \
        in r.stderr


def test_check_refuses_cipher_lists_that_select_nothing_and_a_bad_ca_file(run, ca, tmp_path):
    conf = tmp_path / "lb.conf"
    conf.write_text("[global]\njournal = off\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "tls-cert = %s\ntls-ciphers = NOTHING-SUCH\n"
                    "[pool app]\nserver = s1 127.0.0.1:9 tls verify=%s\n"
                    % (free_port(), ca.leaves["a"].bundle, tmp_path / "no-ca.pem"))
    r = run("lb", "-c", conf, "--check")
    assert r.returncode == 1
    assert "tls-ciphers 'NOTHING-SUCH' selects no cipher" in r.stderr, r.stderr
    assert "%s:8: server 's1': cannot load the CAs of %s" % (conf, tmp_path / "no-ca.pem") \
        in r.stderr, r.stderr


def test_start_refuses_a_bad_key_and_names_it(run, ca, tmp_path):
    r = run("lb", "-l", "127.0.0.1:%d" % free_port(), "-b", "127.0.0.1:9",
            "--tls-cert", ca.leaves["a"].cert, "--tls-key", ca.leaves["b"].key,
            "--no-journal", timeout=60)
    assert r.returncode == 1
    assert "%s does not match the certificate in %s" % (ca.leaves["b"].key,
                                                        ca.leaves["a"].cert) in r.stderr


def test_dump_config_prints_the_quick_forms_tls_keys(run, ca):
    r = run("lb", "-l", ":8443", "-b", "127.0.0.1:8080", "--tls-cert", "/etc/brace/a.pem",
            "--tls-cert", "/etc/brace/b.pem", "--tls-key", "/etc/brace/b.key",
            "--tls-min", "1.3", "--timeout-handshake", "5s", "--dump-config")
    assert r.returncode == 0, r.stderr
    assert ("tls-cert = /etc/brace/a.pem\ntls-cert = /etc/brace/b.pem\n"
            "tls-key = /etc/brace/b.key\ntls-min = 1.3\n") in r.stdout
    assert "timeout-handshake = 5s\n" in r.stdout
    assert "tls-alpn = http/1.1\n" in r.stdout
