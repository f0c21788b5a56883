"""A private certificate authority for the TLS tests, made with the openssl
command line: a CA certificate, and leaf certificates it signs for some DNS
names (ECDSA P-256 unless asked otherwise), valid from and until given
times, written as a key, a certificate with its chain, and a PEM bundle of
both as brace lb and HAProxy read them."""
import datetime
import os
import subprocess

OPENSSL = "openssl"


def run(*args, cwd=None):
    r = subprocess.run([OPENSSL] + [str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr))
    return r.stdout


def new_key(path, kind="ec"):
    if kind == "ec":
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", path)
    else:
        run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
    os.chmod(path, 0o600)


def stamp(dt):
    return dt.strftime("%Y%m%d%H%M%SZ")


class Leaf:
    def __init__(self, key, cert, bundle, names):
        self.key = key          # the private key alone
        self.cert = cert        # the certificate, then the CA's
        self.bundle = bundle    # certificate, chain, key: one file
        self.names = names


class CA:
    """A CA in directory d: ca.key, ca.pem, and openssl ca's bookkeeping."""

    def __init__(self, d, cn="brace test CA"):
        self.dir = str(d)
        os.makedirs(self.dir, exist_ok=True)
        self.key = os.path.join(self.dir, "ca.key")
        self.cert = os.path.join(self.dir, "ca.pem")
        self.cn = cn
        new_key(self.key)
        run("req", "-x509", "-new", "-key", self.key, "-out", self.cert, "-days", "3650",
            "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name, text in (("index.txt", ""), ("serial", "1000\n")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        os.makedirs(os.path.join(self.dir, "issued"), exist_ok=True)
        self.conf = os.path.join(self.dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write("[ca]\ndefault_ca = test\n[test]\ndir = %s\ndatabase = $dir/index.txt\n"
                    "new_certs_dir = $dir/issued\nserial = $dir/serial\n"
                    "certificate = %s\nprivate_key = %s\ndefault_md = sha256\n"
                    "policy = anything\nunique_subject = no\ncopy_extensions = none\n"
                    "[anything]\ncommonName = supplied\n" % (self.dir, self.cert, self.key))

    def issue(self, name, names, cn=None, days=30, start=None, end=None, key="ec",
              out=None):
        """A leaf for names (DNS names; [] for none: then cn alone names it),
        valid from start to end (datetimes, UTC) or for days from an hour ago.
        Files out/name.key, out/name.crt and out/name.pem (the bundle)."""
        out = str(out or self.dir)
        os.makedirs(out, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        start = start or now - datetime.timedelta(hours=1)
        end = end or now + datetime.timedelta(days=days)
        base = os.path.join(out, name)
        keyf, csr, crt, ext = base + ".key", base + ".csr", base + ".crt", base + ".ext"
        new_key(keyf, key)
        run("req", "-new", "-key", keyf, "-out", csr,
            "-subj", "/CN=" + (cn or (names[0] if names else name)))
        with open(ext, "w") as f:
            f.write("basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n")
            if names:
                f.write("subjectAltName = %s\n" % ",".join("DNS:" + n for n in names))
        single = base + ".single"
        run("ca", "-batch", "-config", self.conf, "-in", csr, "-out", single, "-notext",
            "-startdate", stamp(start), "-enddate", stamp(end), "-extfile", ext)
        with open(single) as f:
            leaf = f.read()
        with open(self.cert) as f:
            chain = f.read()
        with open(keyf) as f:
            keytext = f.read()
        with open(crt, "w") as f:
            f.write(leaf + chain)
        with open(base + ".pem", "w") as f:
            f.write(leaf + chain + keytext)
        os.chmod(base + ".pem", 0o600)
        for p in (csr, ext, single):
            os.unlink(p)
        return Leaf(keyf, crt, base + ".pem", names)
