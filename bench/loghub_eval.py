#!/usr/bin/python3
"""Score brace logs' template miner on labelled logs.

Two kinds of labelled logs:

  - the Loghub-2k systems (corrected ground truth) found in DATA_DIR, read
    in place and never copied; brace gets only each system's header format
    (the log_format strings of logparser's benchmark settings);
  - sets written by bench/gen_labelled.py (formats the Loghub systems do not
    cover, templates known by construction), generated into GEN_DIR.

For each set, brace's --assign output is compared with the ground truth:

  grouping accuracy (GA), as logparser's evaluator defines it: a line counts
    as correct when the group brace put it in holds exactly the lines of one
    ground-truth event (no other event's lines, none of its own missing);
  template accuracy (PA): the share of lines whose template text equals the
    ground-truth template, after the "double space" rule of the corrected
    benchmark (strip, collapse runs of whitespace) on both sides. For the
    generated sets, whose truth writes one "<*>" per generated value, runs
    of variables joined by punctuation or spaces count as one ("<*>:<*>",
    "<*> <*>" and "<*>" are equal) on both sides.

Beside each set, the naive baseline: the message (Content) split on
whitespace, every token holding a digit replaced by "<*>", lines grouped by
the result.

Leave-one-system-out (LOSO) on the Loghub systems: every tunable setting of
the miner (SETTINGS below, passed as options) is chosen on the other
systems (highest mean GA) and the chosen one is scored on the one left out.
When SETTINGS has a single entry the miner has no tuned settings and LOSO
equals in-sample.

Usage:
  loghub_eval.py BRACE DATA_DIR GEN_DIR [SET...] [--OPTION...]
"""
import collections
import csv
import json
import os
import re
import subprocess
import sys

FORMATS = {
    "HDFS": "<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "Hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "Spark": "<Date> <Time> <Level> <Component>: <Content>",
    "Zookeeper": r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
    "BGL": "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
    "HPC": "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>",
    "Thunderbird": r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
    "Windows": "<Date> <Time>, <Level>                  <Component>    <Content>",
    "Linux": r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    "Android": "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
    "Apache": r"\[<Time>\] \[<Level>\] <Content>",
    "OpenSSH": r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
}

# The miner's tunable settings, as brace logs options; the first is the
# shipped default (no options). Leave-one-system-out picks among them.
SETTINGS = [[]] + [["--similarity", sim, "--var-values", n, "--var-log", lg]
                   for sim in ("0.4", "0.5", "0.6") for n in ("2", "3", "4")
                   for lg in ("0.3", "0.5", "0.7")]


def norm(t):
    return re.sub(r"\s+", " ", t.strip())


VAR_RUN = re.compile(r"<\*>(?:[\s:.,/@#=\-]*<\*>)+")


def norm_vars(t):
    return VAR_RUN.sub("<*>", norm(t))


def header_regex(fmt):
    """logparser's generate_logformat_regex, to cut the Content out for the baseline."""
    parts = re.split(r"(<[^<>]+>)", fmt)
    rx = ""
    for p in parts:
        if p.startswith("<") and p.endswith(">"):
            rx += "(?P<%s>.*?)" % p[1:-1]
        else:
            rx += re.sub(" +", r"\\s+", p)
    return re.compile("^" + rx + "$")


def grouping_accuracy(truth, parsed):
    sizes = collections.Counter(truth)
    groups = collections.defaultdict(list)
    for i, p in enumerate(parsed):
        groups[p].append(i)
    good = 0
    for idxs in groups.values():
        events = {truth[i] for i in idxs}
        if len(events) == 1 and len(idxs) == sizes[next(iter(events))]:
            good += len(idxs)
    return good / len(truth)


class Set:
    def __init__(self, name, log, truth_csv, fmt, generated):
        self.name, self.log, self.fmt, self.generated = name, log, fmt, generated
        with open(truth_csv, newline="", encoding="utf-8") as f:
            self.rows = list(csv.DictReader(f))
        self.keep = [i for i, r in enumerate(self.rows) if r["EventId"]]
        self.truth = [self.rows[i]["EventId"] for i in self.keep]
        self.texts = [self.rows[i]["EventTemplate"] for i in self.keep]

    def same_text(self, a, b):
        if self.generated:
            return norm_vars(a) == norm_vars(b)
        return norm(a) == norm(b)

    def score(self, templates, ids):
        parsed = [ids[i] if ids[i] is not None else -1 - i for i in self.keep]
        ga = grouping_accuracy(self.truth, parsed)
        pa = sum(self.same_text(templates[i] or "", t)
                 for i, t in zip(self.keep, self.texts)) / len(self.keep)
        return ga, pa, len(set(parsed)), len(set(self.truth))

    def run_brace(self, brace, extra):
        out = subprocess.run([brace, "logs", "--header", self.fmt, "--assign"] + extra +
                             [self.log], stdout=subprocess.PIPE, check=True, text=True).stdout
        got = [json.loads(line) for line in out.splitlines()]
        if len(got) != len(self.rows):
            raise SystemExit("%s: %d lines assigned, %d in the ground truth" %
                             (self.name, len(got), len(self.rows)))
        return self.score([g["template"] for g in got], [g["template_id"] for g in got])

    def run_baseline(self):
        rx = header_regex(self.fmt)
        templates = []
        with open(self.log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        for line in lines[:len(self.rows)]:
            m = rx.match(line.strip())
            content = m.group("Content") if m else line
            templates.append(" ".join("<*>" if re.search(r"\d", t) else t
                                      for t in content.split()))
        ids = {}
        return self.score(templates, [ids.setdefault(t, len(ids)) for t in templates])


def loghub_sets(data, names):
    out = []
    for s in sorted(os.listdir(data)) if os.path.isdir(data) else []:
        if s in FORMATS and (not names or s in names):
            base = os.path.join(data, s, s + "_2k.log")
            out.append(Set(s, base, base + "_structured_corrected.csv", FORMATS[s], False))
    return out


def generated_sets(gen, names):
    out = []
    with open(os.path.join(gen, "formats.tsv")) as f:
        for line in f:
            s, fmt = line.rstrip("\n").split("\t")
            if not names or s in names:
                d = os.path.join(gen, s)
                out.append(Set(s, os.path.join(d, s + ".log"), os.path.join(d, s + ".truth.csv"),
                               fmt, True))
    return out


def row(name, ins, loso, base, n, t):
    return "%-12s %6.3f %6.3f  %6s %6s  %6.3f %6.3f %9d %6d" % (
        name, ins[0], ins[1], "%.3f" % loso[0] if loso else "-", "%.3f" % loso[1] if loso else "-",
        base[0], base[1], n, t)


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    brace, data, gen = sys.argv[1:4]
    extra = [a for a in sys.argv[4:] if a.startswith("--")]
    names = [a for a in sys.argv[4:] if not a.startswith("--")]
    settings = [extra] if extra else SETTINGS
    hub, own = loghub_sets(data, names), generated_sets(gen, names)
    print("%-12s %6s %6s  %6s %6s  %6s %6s %9s %6s" % (
        "set", "GA", "PA", "LOSO", "LOSO", "naive", "naive", "templates", "truth"))
    print("%-12s %6s %6s  %6s %6s  %6s %6s" % ("", "", "", "GA", "PA", "GA", "PA"))
    if hub:
        # every setting on every system, then per system the setting best on the others
        res = [{s.name: s.run_brace(brace, opt) for s in hub} for opt in settings]
        cols = collections.defaultdict(list)
        chosen = collections.Counter()
        for s in hub:
            others = [h.name for h in hub if h is not s]
            best = max(range(len(settings)),
                       key=lambda k: (mean([res[k][o][0] for o in others]), -k))
            chosen[" ".join(settings[best]) or "(defaults)"] += 1
            ins, loso, base = res[0][s.name], res[best][s.name], s.run_baseline()
            print(row(s.name, ins, loso, base, ins[2], ins[3]))
            for k, v in (("ga", ins[0]), ("pa", ins[1]), ("lga", loso[0]), ("lpa", loso[1]),
                         ("bga", base[0]), ("bpa", base[1])):
                cols[k].append(v)
        print("%-12s %6.3f %6.3f  %6.3f %6.3f  %6.3f %6.3f" % (
            "mean (%d)" % len(hub), mean(cols["ga"]), mean(cols["pa"]), mean(cols["lga"]),
            mean(cols["lpa"]), mean(cols["bga"]), mean(cols["bpa"])))
        if len(settings) == 1:
            print("(no tuned settings: leave-one-system-out equals in-sample)")
        else:
            allbest = max(range(len(settings)),
                          key=lambda k: (mean([res[k][h.name][0] for h in hub]), -k))
            print("settings chosen on the other %d systems: %s" % (len(hub) - 1, "; ".join(
                "%s (%d)" % (k, n) for k, n in chosen.most_common())))
            print("best on all %d (in-sample): %s, mean GA %.3f; the defaults: mean GA %.3f" % (
                len(hub), " ".join(settings[allbest]) or "(defaults)",
                mean([res[allbest][h.name][0] for h in hub]), mean([res[0][h.name][0] for h in hub])))
    if own:
        cols = collections.defaultdict(list)
        for s in own:
            ins, base = s.run_brace(brace, settings[0]), s.run_baseline()
            print(row(s.name, ins, None, base, ins[2], ins[3]))
            for k, v in (("ga", ins[0]), ("pa", ins[1]), ("bga", base[0]), ("bpa", base[1])):
                cols[k].append(v)
        print("%-12s %6.3f %6.3f  %6s %6s  %6.3f %6.3f" % (
            "mean (%d)" % len(own), mean(cols["ga"]), mean(cols["pa"]), "", "",
            mean(cols["bga"]), mean(cols["bpa"])))


if __name__ == "__main__":
    main()
