"""Bash completion, built from the binary under test (scripts/mkcompletion) and
driven through COMP_WORDS/COMP_CWORD as bash itself drives it: commands,
every long option each --help prints, fixed value sets, journal subcommands,
brace run's job, file names otherwise."""
import os
import re
import shlex
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def script(brace, tmp_path_factory):
    out = tmp_path_factory.mktemp("completion") / "brace"
    r = subprocess.run([os.path.join(ROOT, "scripts", "mkcompletion"), "--brace", brace,
                        "--out", str(out)], stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return str(out)


def complete(script, words, cwd=None):
    """What bash offers for the last of words (the word being completed)."""
    prog = ("source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMP_LINE=%s\n"
            "COMP_POINT=${#COMP_LINE}\n_brace\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n"
            % (shlex.quote(script), " ".join(shlex.quote(w) for w in words), len(words) - 1,
               shlex.quote(" ".join(words))))
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return [w for w in r.stdout.split("\n") if w]


def help_commands(run):
    block = run("--help").stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def test_commands_and_help(script, run):
    names = help_commands(run)
    assert sorted(complete(script, ["brace", ""])) == sorted(names + ["help"])
    assert complete(script, ["brace", "jo"]) == ["journal"]
    assert sorted(complete(script, ["brace", "help", ""])) == sorted(names)
    assert sorted(complete(script, ["brace", "--"])) == ["--help", "--version"]


def test_every_long_option_each_help_prints_is_offered(script, run):
    for name in help_commands(run):
        text = run(name, "--help").stdout
        printed = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
        offered = set(complete(script, ["brace", name, "--"]))
        assert printed <= offered, (name, sorted(printed - offered))
        assert offered <= printed, (name, sorted(offered - printed))


def test_log_format_names_are_the_ones_brace_logs_accepts(script, run):
    names = complete(script, ["brace", "logs", "--format", ""])
    assert {"auto", "combined", "syslog", "jsonl", "mysql-slow"} <= set(names)
    for n in names:
        r = run("logs", "--format", n, "--json", "-", input="")
        assert r.returncode == 0, (n, r.stderr)
    assert complete(script, ["brace", "logs", "--format", "sys"]) == ["syslog"]
    # --format=VALUE, as bash splits it
    assert complete(script, ["brace", "logs", "--format", "=", "post"]) == ["postgres"]
    assert "jsonl" in complete(script, ["brace", "logs", "--format", "="])


@pytest.mark.parametrize("cmd", [["conns"], ["logs"], ["run", "--history"], ["journal", "list"]])
def test_color_values(script, cmd):
    assert complete(script, ["brace"] + cmd + ["--color", ""]) == ["auto", "always", "never"]


def test_lb_mode_and_balance(script, run):
    assert complete(script, ["brace", "lb", "-m", ""]) == ["http", "tcp"]
    assert complete(script, ["brace", "lb", "--mode", "t"]) == ["tcp"]
    algos = complete(script, ["brace", "lb", "--balance", ""])
    assert {"roundrobin", "leastconn", "random2", "hash-source", "hash-uri",
            "hash-header:"} == set(algos)
    for a in algos:
        r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "--balance",
                a + ("X-User" if a.endswith(":") else ""), "--dump-config")
        assert r.returncode == 0, (a, r.stderr)


def test_journal_subcommands_then_their_options(script, run):
    block = run("journal", "--help").stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    subs = [line.split()[0] for line in block.splitlines() if re.match(r"  \S", line)]
    assert {"note", "list", "samples", "prune", "path"} <= set(subs)
    assert complete(script, ["brace", "journal", ""]) == subs
    assert complete(script, ["brace", "journal", "--journal", "/tmp/j.db", "l"]) == ["list"]
    assert "--severity" in complete(script, ["brace", "journal", "note", "--sev"])
    assert complete(script, ["brace", "journal", "note", "--severity", "w"]) == ["warning"]


def test_file_names_otherwise(script, tmp_path):
    (tmp_path / "access.log").write_text("")
    (tmp_path / "access.log.1.gz").write_text("")
    (tmp_path / "lb.conf").write_text("")
    assert sorted(complete(script, ["brace", "logs", "acc"], cwd=tmp_path)) == \
        ["access.log", "access.log.1.gz"]
    assert complete(script, ["brace", "lb", "-c", "lb."], cwd=tmp_path) == ["lb.conf"]
    assert complete(script, ["brace", "logs", "--html", "lb"], cwd=tmp_path) == ["lb.conf"]
    assert complete(script, ["brace", "journal", "list", "--journal", "lb"],
                    cwd=tmp_path) == ["lb.conf"]


def test_run_completes_the_job_then_its_arguments(script, tmp_path):
    (tmp_path / "job.sh").write_text("")
    assert "bash" in complete(script, ["brace", "run", "--lock", "x", "bas"])
    assert "bash" in complete(script, ["brace", "run", "--", "bas"])
    # After the job's name, its own options are not brace's: file names.
    assert complete(script, ["brace", "run", "--timeout", "5s", "sh", "jo"],
                    cwd=tmp_path) == ["job.sh"]
    assert complete(script, ["brace", "run", "--timeout", "5s", "sh", "--"],
                    cwd=tmp_path) == []
    assert "--timeout" in complete(script, ["brace", "run", "--time"])
