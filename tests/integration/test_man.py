"""The manual pages: built from the binary under test (scripts/mkman), read by
groff without a single warning, true to the --help texts and docs/lb.md, and
installed and removed by make install/uninstall."""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mkman(brace, out, root=ROOT):
    return subprocess.run([os.path.join(ROOT, "scripts", "mkman"), "--brace", brace,
                           "--out", str(out), "--root", str(root)],
                          stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.fixture(scope="module")
def pages(brace, tmp_path_factory):
    out = tmp_path_factory.mktemp("man")
    r = mkman(brace, out)
    assert r.returncode == 0, r.stderr
    return out


def help_commands(run):
    block = run("--help").stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def plain(page):
    """The page's source with roff's escapes for '-' and '\\' undone."""
    return page.read_text().replace("\\-", "-").replace("\\e", "\\")


def test_a_page_for_brace_every_command_and_the_config_file(pages, run):
    want = {"brace.1", "brace-lb.conf.5"} | {"brace-%s.1" % c for c in help_commands(run)}
    assert {p.name for p in pages.iterdir()} == want


def test_groff_reads_every_page_without_a_warning(pages):
    for page in sorted(pages.iterdir()):
        r = subprocess.run(["groff", "-man", "-ww", "-z", str(page)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        assert (r.returncode, r.stderr) == (0, ""), page.name
        # And it renders to text a person can read (no roff left in it).
        r = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbu", str(page)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        assert r.returncode == 0 and "NAME" in r.stdout and "SEE ALSO" in r.stdout
        assert not re.search(r"^\.[A-Z]{1,2}\b|\\f[BIR]", r.stdout, re.M), page.name


def test_every_option_of_every_help_is_in_its_page(pages, run):
    for name in help_commands(run):
        text = run(name, "--help").stdout
        page = plain(pages / ("brace-%s.1" % name))
        for opt in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text)):
            assert opt in page, (name, opt)
        summary = re.search(r"^\s+%s\s{2,}(.*)$" % name, run("--help").stdout, re.M).group(1)
        assert "brace-%s - %s" % (name, summary) in page


def test_config_page_has_every_key_of_the_reference(pages):
    doc = open(os.path.join(ROOT, "docs", "lb.md"), encoding="utf-8").read()
    page = plain(pages / "brace-lb.conf.5")
    keys = set()
    for section in ("[global]", "[listen NAME]", "[pool NAME]"):
        part = doc.split("### %s\n" % section, 1)[1].split("\n#", 1)[0]
        keys |= set(re.findall(r"^\| `([a-z-]+)` \|", part, re.M))
    assert len(keys) > 30
    for k in keys:
        assert re.search(r"^\\fB%s\\fR$" % re.escape(k), page, re.M), k


def test_a_missing_section_stops_the_build_and_names_it(brace, tmp_path):
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "man").mkdir()
    shutil.copy(os.path.join(ROOT, "README.md"), root)
    shutil.copy(os.path.join(ROOT, "man", "brace.md"), root / "man")
    doc = open(os.path.join(ROOT, "docs", "lb.md"), encoding="utf-8").read()
    (root / "docs" / "lb.md").write_text(doc.replace("## Health checks", "## Checks"))
    r = mkman(brace, tmp_path / "out", root)
    assert r.returncode != 0
    assert "has no section '## Health checks'" in r.stderr


def test_make_install_and_uninstall_pages_and_completion(tmp_path):
    dest = tmp_path / "dest"
    make = ["make", "--no-print-directory", "-C", ROOT, "DESTDIR=%s" % dest, "PREFIX=/usr"]
    r = subprocess.run(make + ["install"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout
    man1 = dest / "usr/share/man/man1"
    assert (man1 / "brace.1").is_file() and (man1 / "brace-run.1").is_file()
    assert (dest / "usr/share/man/man5/brace-lb.conf.5").is_file()
    assert (dest / "usr/share/bash-completion/completions/brace").is_file()
    assert (dest / "usr/bin/brace").is_file()
    r = subprocess.run(make + ["uninstall"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    left = [str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()]
    assert left == []
