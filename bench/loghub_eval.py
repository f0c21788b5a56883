#!/usr/bin/python3
"""Score brace logs on the Loghub-2k benchmark (corrected ground truth).

For each system, brace is given only the system's header format (the
log_format strings of logparser's benchmark settings) and its default
settings; its --assign output is compared with the ground truth:

  grouping accuracy (GA), as logparser's evaluator defines it: a line counts
    as correct when the group brace put it in holds exactly the lines of one
    ground-truth event (no other event's lines, none of its own missing);
  template accuracy (PA): the share of lines whose template text equals the
    ground-truth template, after the "double space" rule of the corrected
    benchmark (strip, collapse runs of whitespace) on both sides.

The data is read where it lies and never copied. Usage:
  loghub_eval.py BRACE DATA_DIR [SYSTEM...]
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
    # held back from the folder, listed for when they are present
    "HealthApp": r"<Time>\|<Component>\|<Pid>\|<Content>",
    "Mac": "<Month>  <Date> <Time> <User> <Component>\\[<PID>\\]( \\(<Address>\\))?: <Content>",
    "OpenStack": r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
    "Proxifier": r"\[<Time>\] <Program> - <Content>",
}


def norm(t):
    return re.sub(r"\s+", " ", t.strip())


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


def score(brace, data, system, extra):
    base = os.path.join(data, system, system + "_2k.log")
    with open(base + "_structured_corrected.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = subprocess.run([brace, "logs", "--header", FORMATS[system], "--assign"] + extra +
                         [base], stdout=subprocess.PIPE, check=True, text=True).stdout
    got = [json.loads(line) for line in out.splitlines()]
    if len(got) != len(rows):
        raise SystemExit("%s: %d lines assigned, %d in the ground truth" %
                         (system, len(got), len(rows)))
    keep = [i for i, r in enumerate(rows) if r["EventId"]]
    truth = [rows[i]["EventId"] for i in keep]
    parsed = [got[i]["template_id"] if got[i]["template_id"] is not None else -1 - i
              for i in keep]
    ga = grouping_accuracy(truth, parsed)
    pa = sum(norm(got[i]["template"] or "") == norm(rows[i]["EventTemplate"])
             for i in keep) / len(keep)
    return ga, pa, len(set(parsed)), len(set(truth))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    brace, data = sys.argv[1], sys.argv[2]
    extra = [a for a in sys.argv[3:] if a.startswith("--")]
    systems = [a for a in sys.argv[3:] if not a.startswith("--")]
    if not systems:
        systems = sorted(s for s in os.listdir(data)
                         if os.path.isdir(os.path.join(data, s)) and s in FORMATS)
    print("%-12s %6s %6s %9s %9s" % ("system", "GA", "PA", "templates", "truth"))
    tga = tpa = 0
    for s in systems:
        ga, pa, n, t = score(brace, data, s, extra)
        tga += ga
        tpa += pa
        print("%-12s %6.3f %6.3f %9d %9d" % (s, ga, pa, n, t))
    print("%-12s %6.3f %6.3f" % ("mean", tga / len(systems), tpa / len(systems)))


if __name__ == "__main__":
    main()
