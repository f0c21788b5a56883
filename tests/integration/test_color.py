"""One colour policy for every command that prints for people: --color
auto|always|never, NO_COLOR (any value) and TERM=dumb in auto mode, and no
escape sequence on a pipe unless asked for. Each command runs once on a pipe
and once on a pseudo-terminal."""
import os
import select
import subprocess
import time

import pytest

ESC = "\x1b["
DEADLINE = 60


def on_pty(argv, env):
    """Run argv with stdout on a pseudo-terminal; (status, output)."""
    master, slave = os.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    end = time.time() + DEADLINE
    while time.time() < end:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:         # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    try:
        p.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail("%s did not end" % argv)
    return p.returncode, out.decode("utf-8", "replace")


def on_pipe(argv, env):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=DEADLINE)
    return r.returncode, r.stdout.decode("utf-8", "replace")


@pytest.fixture
def commands(brace, run, journal, tmp_path):
    """Every human-facing command, with a journal and a log to show."""
    assert run("run", "--name", "good", "--", "true").returncode == 0
    assert run("run", "--name", "bad", "--", "false").returncode == 1
    assert run("journal", "note", "--severity", "warning", "disk", "filling").returncode == 0
    log = tmp_path / "app.log"
    log.write_text("".join("2026-11-27T07:%02d:00Z web1 app: user %d logged in\n" % (i, i)
                           for i in range(30)))
    # A server that is not there: conns still prints its table (status UNKNOWN).
    return {
        "conns": ["conns", "postgresql://monitor@127.0.0.1:1/appdb"],
        "logs": ["logs", str(log)],
        "run --history": ["run", "--history"],
        "journal list": ["journal", "list"],
        "journal list --json": ["journal", "list", "--json"],
        "journal samples": ["journal", "samples"],
    }


def env_with(**kw):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.update(LANG="C.UTF-8", TERM="xterm-256color")
    for k, v in kw.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def brace_argv(brace, args, *extra):
    # Options go before any positional argument (brace run stops at the first word).
    return [brace] + args[:1] + list(extra) + args[1:]


@pytest.fixture
def samples(run, journal):
    """A sample in the journal, so that `journal samples` has a line to print."""
    import sqlite3
    db = sqlite3.connect(journal)
    db.execute("INSERT INTO samples(ts, source, series, labels, value) "
               "VALUES (?, 'conns', 'db_connections_used', '{\"server\":\"db1\"}', 7)",
               (int(time.time() * 1000),))
    db.commit()
    db.close()


CASES = ["conns", "logs", "run --history", "journal list", "journal list --json",
         "journal samples"]


@pytest.mark.parametrize("name", CASES)
def test_colour_on_a_terminal_only(brace, commands, samples, name):
    args = commands[name]
    _, piped = on_pipe(brace_argv(brace, args), env_with())
    assert piped.strip(), "nothing printed"
    assert ESC not in piped
    _, shown = on_pty(brace_argv(brace, args), env_with())
    assert ESC in shown


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"NO_COLOR": ""}, {"NO_COLOR": "0"},
                                 {"TERM": "dumb"}], ids=["NO_COLOR=1", "NO_COLOR=",
                                                         "NO_COLOR=0", "TERM=dumb"])
def test_no_color_and_dumb_terminal_turn_colour_off(brace, commands, samples, name, env):
    _, shown = on_pty(brace_argv(brace, commands[name]), env_with(**env))
    assert shown.strip(), "nothing printed"
    assert ESC not in shown


@pytest.mark.parametrize("name", CASES)
def test_color_always_and_never_win(brace, commands, samples, name):
    args = commands[name]
    _, piped = on_pipe(brace_argv(brace, args, "--color", "always"), env_with(NO_COLOR="1"))
    assert ESC in piped
    _, shown = on_pty(brace_argv(brace, args, "--color", "never"), env_with())
    assert shown.strip() and ESC not in shown


def test_conns_no_color_is_an_alias_of_never(brace, commands):
    _, shown = on_pty(brace_argv(brace, commands["conns"], "--no-color"), env_with())
    assert "UNKNOWN" in shown and ESC not in shown


@pytest.mark.parametrize("cmd", [["conns"], ["logs"], ["run", "--history"],
                                 ["journal", "list"]])
def test_bad_color_value_is_a_usage_error(run, journal, cmd):
    r = run(*cmd, "--color", "sometimes", *(["postgresql://x@h/db"] if cmd == ["conns"]
                                             else []))
    # brace run's usage errors are its own failures: 125, as for timeout(1).
    assert r.returncode == (125 if cmd[0] == "run" else 2)
    assert "--color: use auto, always or never, not 'sometimes'" in r.stderr


def test_color_goes_with_history_only(run):
    r = run("run", "--color", "always", "--", "true")
    assert r.returncode == 125 and "--color go with --history" in r.stderr


def test_conns_watch_on_a_dumb_terminal_prints_lines(brace, journal):
    """TERM=dumb cannot draw the full-screen view: one plain line per sample."""
    master, slave = os.openpty()
    p = subprocess.Popen([brace, "conns", "--watch", "0.2s", "--timeout", "1s",
                          "postgresql://monitor@127.0.0.1:1/appdb"],
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL,
                         env=env_with(TERM="dumb"))
    os.close(slave)
    out = b""
    end = time.time() + DEADLINE
    try:
        while out.count(b"\n") < 2 and time.time() < end:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                out += os.read(master, 65536)
    finally:
        p.terminate()
        p.wait(DEADLINE)
        os.close(master)
    text = out.decode("utf-8", "replace")
    assert "UNKNOWN" in text
    assert "\x1b" not in text
