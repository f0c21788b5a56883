"""The brace binary's own command line: help, version, usage errors."""
import re


def test_help_lists_every_command_with_summary(run):
    r = run("--help")
    assert r.returncode == 0
    assert "usage: brace COMMAND" in r.stdout
    assert re.search(r"^\s+journal\s+\S.*$", r.stdout, re.M)


def test_no_arguments_prints_usage_and_exits_2(run):
    r = run()
    assert r.returncode == 2
    assert "usage: brace" in r.stderr


def test_version_prints_version(run):
    r = run("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"brace \d+\.\d+\.\d+\S*\n", r.stdout)


def test_help_command_shows_command_usage(run):
    r = run("help", "journal")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: brace journal")


def test_command_dash_dash_help_matches_help_command(run):
    assert run("journal", "--help").stdout == run("help", "journal").stdout


def test_unknown_command_is_one_line_error_and_hint_exit_2(run):
    r = run("frobnicate")
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines[0] == "brace: unknown command 'frobnicate'"
    assert lines[1] == "Try 'brace --help' for more information."
    assert r.stdout == ""


def test_help_for_unknown_command_exits_2(run):
    r = run("help", "frobnicate")
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr


def test_unknown_top_level_option_exits_2(run):
    r = run("--frobnicate")
    assert r.returncode == 2
    assert "unknown option '--frobnicate'" in r.stderr


def test_bad_subcommand_option_names_command_and_exits_2(run, journal):
    r = run("journal", "list", "--frobnicate")
    assert r.returncode == 2
    assert r.stderr.startswith("brace journal: ")
    assert "--frobnicate" in r.stderr
    assert "Try 'brace journal --help'" in r.stderr


def test_bad_option_value_names_option_and_exits_2(run, journal):
    r = run("journal", "prune", "--older-than", "10 parsecs")
    assert r.returncode == 2
    assert "--older-than" in r.stderr and "10 parsecs" in r.stderr


def commands(run):
    """The command names `brace --help` lists."""
    text = run("--help").stdout
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def test_every_command_answers_version_like_brace(run, journal):
    want = run("--version").stdout
    names = commands(run)
    assert {"lb", "conns", "run", "logs", "journal", "postmortem"} <= set(names)
    missing = []
    for name in names:
        r = run(name, "--version")
        if (r.returncode, r.stdout, r.stderr) != (0, want, ""):
            missing.append(name)
    assert missing == []


def test_version_after_other_options_and_subcommand_words(run, journal):
    want = run("--version").stdout
    for args in (["journal", "list", "--version"], ["journal", "--since", "1h", "--version"],
                 ["logs", "--top", "3", "--version"], ["run", "--lock", "x", "--version"],
                 ["conns", "--nagios", "--version"]):
        r = run(*args)
        assert (r.returncode, r.stdout) == (0, want), args


def test_run_passes_the_jobs_own_version_option_to_the_job(run, journal):
    # After -- and after the first word that is not an option, --version is the job's.
    r = run("run", "--", "sh", "-c", 'echo "job got $1"', "sh", "--version")
    assert (r.returncode, r.stdout) == (0, "job got --version\n")
    r = run("run", "--lock", "v", "sh", "-c", 'echo "job got $1"', "sh", "--version")
    assert (r.returncode, r.stdout) == (0, "job got --version\n")
    r = run("run", "--name", "j", "printf", "%s\\n", "--version", "--help")
    assert (r.returncode, r.stdout) == (0, "--version\n--help\n")


def test_every_help_mentions_version(run):
    for name in commands(run):
        assert "--version" in run(name, "--help").stdout, name
